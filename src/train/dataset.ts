/**
 * Training data for the trainer: scan → speaker-disjoint train/validation split → MDCT frames
 * (via the model engineer's cached `features.ts`) → a deterministic batch order.
 *
 * Split: LibriSpeech files (`<spk>-<chapter>-<utt>.flac`) are grouped by speaker; any other file
 * is its own group, keyed by its name. A group goes to validation when a hash of its key falls
 * below the validation fraction, so the split does not depend on which other files exist.
 *
 * Order: epoch e visits the training frames in the permutation drawn by Rng(mix(seed, e)); batch
 * b of epoch e is a pure function of (seed, e, b), so a resumed run needs only (e, b).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { Rng } from '../vq/random.js';
import { activeFrames, datasetFeatures, type FileFeatures } from './features.js';
import { scanAudioFolders } from '../audio/scan.js';
import { mixSeed } from './trainer.js';

export interface SplitFiles {
  train: string[];
  validation: string[];
}

/** The split group of a file: its LibriSpeech speaker, or the file itself. */
export function splitGroupOf(file: string): string {
  const m = /^(\d+)-(\d+)-(\d+)$/.exec(path.basename(file, path.extname(file)));
  return m ? `libri-speaker-${m[1]}` : `file-${path.basename(file)}`;
}

function unitHash(key: string): number {
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32LE(0) / 4294967296;
}

/**
 * Deterministic speaker-disjoint split. With at least two groups, both sides are non-empty:
 * if the hash rule leaves one side empty, the group with the smallest hash moves across.
 */
export function splitFiles(files: string[], validationFraction: number): SplitFiles {
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const g = splitGroupOf(f);
    const list = groups.get(g);
    if (list) list.push(f);
    else groups.set(g, [f]);
  }
  const keys = [...groups.keys()].sort((a, b) => unitHash(a) - unitHash(b) || (a < b ? -1 : 1));
  let nVal = keys.filter((k) => unitHash(k) < validationFraction).length;
  if (keys.length >= 2) nVal = Math.min(Math.max(nVal, 1), keys.length - 1);
  else nVal = 0;
  const valKeys = new Set(keys.slice(0, nVal));
  const train: string[] = [];
  const validation: string[] = [];
  for (const f of files) (valKeys.has(splitGroupOf(f)) ? validation : train).push(f);
  return { train, validation };
}

/** Active (non-silent) frames of many files, concatenated (frames × bins). */
export interface FrameSet {
  x: Float32Array;
  frames: number;
  bins: number;
  files: number;
}

export function concatActiveFrames(features: FileFeatures[], bins: number): FrameSet {
  const masks = features.map((f) => activeFrames(f));
  let total = 0;
  for (const m of masks) for (let j = 0; j < m.length; j++) total += m[j];
  const x = new Float32Array(total * bins);
  let row = 0;
  features.forEach((f, i) => {
    if (f.bins !== bins) throw new Error(`features of ${f.file} have ${f.bins} bins, expected ${bins}`);
    const m = masks[i];
    for (let j = 0; j < f.frames; j++) {
      if (!m[j]) continue;
      x.set(f.mdct.subarray(j * bins, (j + 1) * bins), row * bins);
      row++;
    }
  });
  return { x, frames: total, bins, files: features.length };
}

/** Evenly spaced subset of at most `max` frames (deterministic), for a bounded validation cost. */
export function subsampleFrames(set: FrameSet, max: number): FrameSet {
  if (set.frames <= max) return set;
  const x = new Float32Array(max * set.bins);
  for (let i = 0; i < max; i++) {
    const j = Math.floor((i * set.frames) / max);
    x.set(set.x.subarray(j * set.bins, (j + 1) * set.bins), i * set.bins);
  }
  return { x, frames: max, bins: set.bins, files: set.files };
}

export interface LoadedData {
  train: FrameSet;
  validation: FrameSet;
  split: SplitFiles;
  failed: Array<{ file: string; error: string }>;
  cacheHits: number;
  /** sha256 over the file lists and frame counts: a resumed run must see the same data. */
  fingerprint: string;
}

export interface LoadDataOptions {
  validationFraction: number;
  cacheDir?: string | null;
  bins: number;
  onFile?: (done: number, total: number, file: string, cached: boolean) => void;
}

export async function loadTrainingData(roots: string[], opts: LoadDataOptions): Promise<LoadedData> {
  let files: string[];
  try {
    files = await scanAudioFolders(roots);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  if (files.length === 0) throw new UserError(`no audio files found under ${roots.join(', ')}`);
  const split = splitFiles(files, opts.validationFraction);
  const total = files.length;
  let done = 0;
  const onFile = (_d: number, _t: number, file: string, cached: boolean): void => opts.onFile?.(++done, total, file, cached);
  const tr = await datasetFeatures(split.train, { cacheDir: opts.cacheDir, onFile });
  const va = await datasetFeatures(split.validation, { cacheDir: opts.cacheDir, onFile });
  const train = concatActiveFrames(tr.features, opts.bins);
  const validation = concatActiveFrames(va.features, opts.bins);
  if (train.frames === 0) throw new UserError('no usable training frames (all files unreadable or silent)');
  const fp = createHash('sha256');
  for (const f of tr.features) fp.update(`T ${f.contentHash} ${f.frames}\n`);
  for (const f of va.features) fp.update(`V ${f.contentHash} ${f.frames}\n`);
  return {
    train,
    validation,
    split,
    failed: [...tr.failed, ...va.failed],
    cacheHits: tr.cacheHits + va.cacheHits,
    fingerprint: fp.digest('hex').slice(0, 16),
  };
}

/** Deterministic batch order: batch b of epoch e (frames × bins copy). */
export class BatchOrder {
  private epochCached = -1;
  private perm: Int32Array = new Int32Array(0);

  constructor(readonly data: FrameSet, readonly batch: number, readonly seed: number) {
    if (batch < 1) throw new RangeError('batch must be ≥ 1');
  }

  /** Full batches per epoch (the remainder of a permutation is skipped; it differs per epoch). */
  get batchesPerEpoch(): number {
    return Math.max(1, Math.floor(this.data.frames / this.batch));
  }

  /** Frames per batch actually delivered (smaller than `batch` only when the data is). */
  get batchFrames(): number {
    return Math.min(this.batch, this.data.frames);
  }

  private permutation(epoch: number): Int32Array {
    if (epoch !== this.epochCached) {
      const p = new Int32Array(this.data.frames);
      for (let i = 0; i < p.length; i++) p[i] = i;
      new Rng(mixSeed(this.seed, epoch, 0xda7a)).shuffle(p);
      this.perm = p;
      this.epochCached = epoch;
    }
    return this.perm;
  }

  get(epoch: number, b: number): Float32Array {
    const { bins } = this.data;
    const n = this.batchFrames;
    const p = this.permutation(epoch);
    const out = new Float32Array(n * bins);
    for (let i = 0; i < n; i++) {
      const j = p[b * n + i];
      out.set(this.data.x.subarray(j * bins, (j + 1) * bins), i * bins);
    }
    return out;
  }
}
