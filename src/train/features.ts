/**
 * Training features: scan folders for audio, turn each file into MDCT frames (16 kHz, 320-bin
 * frames of the codec's own analysis, DESIGN §1), and cache them on disk so a second run or
 * epoch skips decoding. Used by the residual-k-means default model (issue 5) and by NSVQ
 * training (issue 6).
 *
 * Cache: `<cacheDir>/features/<sha256 of file bytes, 32 hex>-<settings key>.nsvqf`. The key
 * covers everything that changes the frames (format version, sample rate, hop, window), so a
 * change of settings never returns stale frames. Entries are written atomically and carry a
 * CRC-32; a damaged entry is ignored and rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeSignal } from '../dsp/mdct-stream.js';
import { HOP } from '../dsp/window.js';
import { loadSpeech, type SpeechSignal } from '../audio/load.js';
import { type CodecModel, crc32, envelopeOf, packageRoot } from '../model/codec-model.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const FEATURE_SAMPLE_RATE = 16000;
/** Bump when the way frames are computed changes: old cache entries then miss. */
export const FEATURE_FORMAT_VERSION = 1;
const CACHE_MAGIC = 'NSVQFEAT';
const CACHE_HEADER_BYTES = 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;


export interface FileFeatures {
  file: string;
  /** sha256 of the file bytes (hex). */
  contentHash: string;
  bins: number;
  frames: number;
  /** MDCT coefficients, frames × bins row-major, of the 16 kHz mono signal (zero-delay framing). */
  mdct: Float32Array;
  originalRate: number;
  /** Length of the 16 kHz signal in samples. */
  length: number;
}

export interface FeatureOptions {
  /** Cache folder (default `<package>/.cache`); `null` disables the cache. */
  cacheDir?: string | null;
  /** Audio loader (default `loadSpeech`: decode, downmix, resample to 16 kHz). */
  load?: (file: string) => Promise<SpeechSignal>;
}

/** Default cache folder: `.cache/` in the package (gitignored). */
export function defaultCacheDir(): string {
  return path.join(packageRoot(), '.cache');
}

/** The part of the cache key that depends on settings rather than on the audio. */
export function featureSettingsKey(): string {
  const settings = JSON.stringify({ v: FEATURE_FORMAT_VERSION, rate: FEATURE_SAMPLE_RATE, hop: HOP, window: 'low-overlap', framing: 'zero-delay' });
  return createHash('sha256').update(settings).digest('hex').slice(0, 12);
}

/**
 * Speaker label for a speaker-disjoint split: LibriSpeech names files `<spk>-<chapter>-<utt>`;
 * for any other folder (LJSpeech, a user's recordings) the parent folder stands for the speaker.
 */
export function speakerOf(file: string): string {
  const m = /^(\d+)-(\d+)-(\d+)$/.exec(path.basename(file, path.extname(file)));
  if (m) return `libri-${m[1]}`;
  return `dir-${path.basename(path.dirname(file))}`;
}

/** The cache entry of a file with this content (sha256 hex) under `cacheDir`. */
export function featureCacheEntry(cacheDir: string, contentHash: string): string {
  return path.join(cacheDir, 'features', `${contentHash.slice(0, 32)}-${featureSettingsKey()}.nsvqf`);
}

/** MDCT frames of a file, from the cache when possible. */
export async function fileFeatures(file: string, opts: FeatureOptions = {}): Promise<{ features: FileFeatures; cached: boolean }> {
  const bytes = readFileSync(file);
  const contentHash = createHash('sha256').update(bytes).digest('hex');
  const cacheDir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
  const entry = cacheDir === null ? null : featureCacheEntry(cacheDir, contentHash);
  if (entry && existsSync(entry)) {
    const hit = readCacheEntry(readFileSync(entry), file, contentHash);
    if (hit) return { features: hit, cached: true };
  }
  const speech = await (opts.load ?? loadSpeech)(file);
  if (speech.sampleRate !== FEATURE_SAMPLE_RATE) throw new Error(`loader returned ${speech.sampleRate} Hz, expected ${FEATURE_SAMPLE_RATE}`);
  const frames = analyzeSignal(speech.samples, HOP);
  const mdct = new Float32Array(frames.length * HOP);
  frames.forEach((f, j) => mdct.set(f, j * HOP));
  const features: FileFeatures = {
    file, contentHash, bins: HOP, frames: frames.length, mdct, originalRate: speech.originalRate, length: speech.samples.length,
  };
  if (entry) {
    mkdirSync(path.dirname(entry), { recursive: true });
    await writeFileAtomic(entry, writeCacheEntry(features));
  }
  return { features, cached: false };
}

function writeCacheEntry(f: FileFeatures): Uint8Array {
  const body = CACHE_HEADER_BYTES + f.mdct.length * 4;
  const out = new Uint8Array(body + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CACHE_MAGIC), 0);
  view.setUint32(8, FEATURE_FORMAT_VERSION, true);
  view.setUint32(12, f.bins, true);
  view.setUint32(16, f.frames, true);
  view.setUint32(20, f.originalRate, true);
  view.setUint32(24, f.length, true);
  for (let i = 0; i < f.mdct.length; i++) view.setFloat32(CACHE_HEADER_BYTES + 4 * i, f.mdct[i], true);
  view.setUint32(body, crc32(out, 0, body), true);
  return out;
}

/** A cache entry's features, or null when it is damaged or from other settings. */
function readCacheEntry(b: Uint8Array, file: string, contentHash: string): FileFeatures | null {
  if (b.length < CACHE_HEADER_BYTES + 4) return null;
  if (new TextDecoder().decode(b.subarray(0, 8)) !== CACHE_MAGIC) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(8, true) !== FEATURE_FORMAT_VERSION) return null;
  const bins = view.getUint32(12, true);
  const frames = view.getUint32(16, true);
  const body = CACHE_HEADER_BYTES + bins * frames * 4;
  if (bins !== HOP || b.length !== body + 4) return null;
  if (view.getUint32(body, true) !== crc32(b, 0, body)) return null;
  let mdct: Float32Array;
  if (LITTLE_ENDIAN) {
    // One copy of the bytes (slice also realigns them), no per-value decoding.
    const start = b.byteOffset + CACHE_HEADER_BYTES;
    mdct = new Float32Array(b.buffer.slice(start, start + bins * frames * 4));
  } else {
    mdct = new Float32Array(bins * frames);
    for (let i = 0; i < mdct.length; i++) mdct[i] = view.getFloat32(CACHE_HEADER_BYTES + 4 * i, true);
  }
  return { file, contentHash, bins, frames, mdct, originalRate: view.getUint32(20, true), length: view.getUint32(24, true) };
}

/**
 * Which frames carry speech: frame energy Σ X² above the file's loudest frame − `rangeDb` dB
 * (default 60, like the silence rule of the STOI family but on MDCT frames) and above an
 * absolute floor (default 1e-7 ≈ −70 dBFS mean power per bin × 320 bins, so near-digital
 * silence is never kept even in a file that is silent throughout).
 */
export function activeFrames(f: FileFeatures, rangeDb = 60, absoluteFloor = 1e-7 * 320): Uint8Array {
  const energy = new Float64Array(f.frames);
  let max = 0;
  for (let j = 0; j < f.frames; j++) {
    let e = 0;
    for (let k = 0; k < f.bins; k++) { const v = f.mdct[j * f.bins + k]; e += v * v; }
    energy[j] = e;
    if (e > max) max = e;
  }
  const threshold = Math.max(max * 10 ** (-rangeDb / 10), absoluteFloor);
  const keep = new Uint8Array(f.frames);
  for (let j = 0; j < f.frames; j++) keep[j] = energy[j] > threshold ? 1 : 0;
  return keep;
}

/** The frames where mask = 1, compacted (active × bins, a fresh array). */
export function activeRows(f: FileFeatures, mask: Uint8Array = activeFrames(f)): Float32Array {
  let count = 0;
  for (let j = 0; j < f.frames; j++) count += mask[j];
  const out = new Float32Array(count * f.bins);
  let row = 0;
  for (let j = 0; j < f.frames; j++) {
    if (!mask[j]) continue;
    out.set(f.mdct.subarray(j * f.bins, (j + 1) * f.bins), row * f.bins);
    row++;
  }
  return out;
}

/** Envelope vectors e = log(A·X² + ε) (frames × bands, float32) of the frames where mask = 1 (all if no mask). */
export function envelopeVectors(model: CodecModel, f: FileFeatures, mask?: Uint8Array): Float32Array {
  let count = 0;
  for (let j = 0; j < f.frames; j++) if (!mask || mask[j]) count++;
  const out = new Float32Array(count * model.bands);
  const e = new Float64Array(model.bands);
  let row = 0;
  for (let j = 0; j < f.frames; j++) {
    if (mask && !mask[j]) continue;
    envelopeOf(model, f.mdct.subarray(j * f.bins, (j + 1) * f.bins), e);
    out.set(e, row * model.bands);
    row++;
  }
  return out;
}

export interface DatasetOptions extends FeatureOptions {
  /** Files decoded at once (decoding is partly off-thread; default 2). */
  concurrency?: number;
  onFile?: (done: number, total: number, file: string, cached: boolean) => void;
}

export interface DatasetResult {
  features: FileFeatures[];
  failed: Array<{ file: string; error: string }>;
  cacheHits: number;
}

/**
 * Features of many files, in the order given. An unreadable file is reported in `failed`
 * and skipped; it does not abort the run.
 */
export async function datasetFeatures(files: string[], opts: DatasetOptions = {}): Promise<DatasetResult> {
  const results: Array<FileFeatures | null> = new Array(files.length).fill(null);
  const failed: Array<{ file: string; error: string }> = [];
  let next = 0;
  let done = 0;
  let cacheHits = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= files.length) return;
      let cached = false;
      try {
        const r = await fileFeatures(files[i], opts);
        results[i] = r.features;
        cached = r.cached;
        if (cached) cacheHits++;
      } catch (err) {
        failed.push({ file: files[i], error: (err as Error).message });
      }
      opts.onFile?.(++done, files.length, files[i], cached);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  failed.sort((a, b) => (a.file < b.file ? -1 : 1));
  return { features: results.filter((r): r is FileFeatures => r !== null), failed, cacheHits };
}
