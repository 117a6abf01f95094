/**
 * Training data for the trainer: scan → speaker-disjoint train/validation split → frames.
 *
 * Split: LibriSpeech files (`<spk>-<chapter>-<utt>.flac`) are grouped by speaker; any other file
 * is its own group, keyed by its name. A group goes to validation when a hash of its key falls
 * below the validation fraction, so the split does not depend on which other files exist.
 *
 * Two ways to get the frames:
 *  - `prepareTrainingData` (what `nsvq-codec train` uses): an on-disk frame store with only an
 *    index in memory (frame-store.ts), read through a bounded shuffle window (batch-stream.ts,
 *    order in shuffle.ts). Memory does not grow with the data.
 *  - `loadTrainingData`: every active frame concatenated in memory (146 k frames = 187 MB for the
 *    shared 53-minute subset; 23 GB for train-clean-100). For tests and small experiments only.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UserError } from '../errors.js';
import { activeFrames, datasetFeatures, type FileFeatures } from './features.js';
import { scanAudioFolders } from '../audio/scan.js';
import { CachedFrameSource, dataFingerprint, indexFiles, type FeatureRunner } from './frame-store.js';

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

/** All active frames in memory (tests and small data; `nsvq-codec train` streams instead). */
export async function loadTrainingData(roots: string[], opts: LoadDataOptions): Promise<LoadedData> {
  const files = await scanOrFail(roots);
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

async function scanOrFail(roots: string[]): Promise<string[]> {
  let files: string[];
  try {
    files = await scanAudioFolders(roots);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  if (files.length === 0) throw new UserError(`no audio files found under ${roots.join(', ')}`);
  return files;
}

export interface PreparedData {
  train: CachedFrameSource;
  validation: CachedFrameSource;
  split: SplitFiles;
  failed: Array<{ file: string; error: string }>;
  cacheHits: number;
  /** sha256 over the file lists and frame counts: a resumed run must see the same data. */
  fingerprint: string;
}

export interface PrepareDataOptions {
  validationFraction: number;
  /** The frame store (a feature cache folder; it must be writable). */
  cacheDir: string;
  /** Runs feature jobs (a FeatureWorkers pool's `run`). */
  run: FeatureRunner;
  /** Files in flight at once during indexing (default 4). */
  concurrency?: number;
  onFile?: (done: number, total: number, file: string, cached: boolean) => void;
}

/** Scan, split and index the data; no feature data stays in memory. */
export async function prepareTrainingData(roots: string[], opts: PrepareDataOptions): Promise<PreparedData> {
  const files = await scanOrFail(roots);
  const split = splitFiles(files, opts.validationFraction);
  let done = 0;
  const onFile = (file: string, cached: boolean): void => opts.onFile?.(++done, files.length, file, cached);
  const common = { run: opts.run, cacheDir: opts.cacheDir, concurrency: opts.concurrency, onFile };
  const tr = await indexFiles(split.train, common);
  const va = await indexFiles(split.validation, common);
  const train = new CachedFrameSource(tr.files, opts.run, opts.cacheDir);
  const validation = new CachedFrameSource(va.files, opts.run, opts.cacheDir);
  if (train.totalActive === 0) throw new UserError('no usable training frames (all files unreadable or silent)');
  return {
    train,
    validation,
    split,
    failed: [...tr.failed, ...va.failed].sort((a, b) => (a.file < b.file ? -1 : 1)),
    cacheHits: tr.cacheHits + va.cacheHits,
    fingerprint: dataFingerprint(tr.files, va.files),
  };
}
