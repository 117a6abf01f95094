/**
 * Training frames kept on disk, with only an index in memory (issue 6: train-clean-100 is
 * ≈ 18 M frames = 23 GB of float32 features, more than the machine's memory).
 *
 * The store is the existing per-file feature cache (features.ts: one entry per file, keyed by
 * content and settings, CRC-checked). A first pass (`indexFiles`) makes sure every file has an
 * entry — decoding the new ones on feature worker threads — and records its content hash and
 * frame / active-frame counts: about 100 bytes per file, ≈ 3 MB for the 28.5 k files of
 * train-clean-100. During training a `CachedFrameSource` reads one file's active frames on demand
 * (again on a worker), and checks that the file still has the content it had at indexing, so a
 * changed file cannot silently change the order of a run being resumed.
 *
 * Precision: entries stay float32 (the cache format is shared with the model build); on disk,
 * 100 h take ≈ 23 GB. The active-frame rule is features.ts `activeFrames`, applied on read.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { HOP } from '../dsp/window.js';
import { runFeatureJob, type FeatureJob, type FeatureJobResult, type FeatureReply } from './feature-worker.js';

/** What the batch stream reads from: files with known active-frame counts. */
export interface FrameSource {
  readonly bins: number;
  /** Active frames of each file, in file order. */
  readonly activeCounts: readonly number[];
  /** The active frames of one file (active × bins). */
  readActive(file: number): Promise<Float32Array>;
}

export interface IndexedFile {
  file: string;
  /** sha256 of the file bytes (hex). */
  contentHash: string;
  frames: number;
  active: number;
}

export type FeatureRunner = (job: Omit<FeatureJob, 'id'>) => Promise<FeatureJobResult>;

function workerPath(): string {
  const beside = fileURLToPath(new URL('./feature-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const fromSrc = fileURLToPath(new URL('../../dist/src/train/feature-worker.js', import.meta.url));
  if (existsSync(fromSrc)) return fromSrc;
  throw new Error(`feature worker not found at ${beside} (run npm run build)`);
}

/**
 * Feature jobs on `threads` threads, the calling thread included (like the search pool), so
 * threads = 2 starts one worker: during the first pass the calling thread is otherwise idle, and
 * each worker costs ≈ 100 MB of RSS (its own heap and not yet collected file buffers). A job goes
 * to the least busy thread, a worker on ties. Results are the same on any thread (same code,
 * same cache).
 */
export class FeatureWorkers {
  private readonly workers: Worker[] = [];
  /** Jobs in flight on each worker. */
  private readonly busy: number[] = [];
  private busyHere = 0;
  private readonly pending = new Map<number, { resolve: (r: FeatureJobResult) => void; reject: (e: Error) => void; worker: number }>();
  private nextId = 1;
  private closed = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`feature threads must be ≥ 1, got ${threads}`);
    const file = threads > 1 ? workerPath() : '';
    for (let t = 0; t < threads - 1; t++) {
      const w = new Worker(file);
      w.unref();
      w.on('message', (m: FeatureReply) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.busy[p.worker]--;
        if (m.ok) p.resolve({ contentHash: m.contentHash, frames: m.frames, active: m.active, cached: m.cached, rows: m.rows });
        else p.reject(m.userError ? new UserError(m.error) : new Error(m.error));
      });
      // A worker that dies fails its jobs and takes no more (they go to the others or run here).
      const fail = (e: Error): void => {
        this.busy[t] = Infinity;
        for (const [id, p] of this.pending) {
          if (p.worker === t) { p.reject(e); this.pending.delete(id); }
        }
      };
      w.on('error', fail);
      w.on('exit', (code) => { if (!this.closed) fail(new Error(`feature worker exited (code ${code})`)); });
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  readonly run: FeatureRunner = (job) => {
    if (this.closed) return Promise.reject(new Error('feature workers are closed'));
    let t = -1;
    for (let i = 0; i < this.workers.length; i++) if (t < 0 || this.busy[i] < this.busy[t]) t = i;
    if (t < 0 || this.busyHere < this.busy[t] || this.busy[t] === Infinity) {
      this.busyHere++;
      const done = (): void => { this.busyHere--; };
      const p = runFeatureJob(job);
      p.then(done, done);
      return p;
    }
    const id = this.nextId++;
    this.busy[t]++;
    const worker = t;
    return new Promise<FeatureJobResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      const msg: FeatureJob = { id, ...job };
      this.workers[worker].postMessage(msg);
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface IndexResult {
  files: IndexedFile[];
  failed: Array<{ file: string; error: string }>;
  cacheHits: number;
}

/**
 * Index files (in the order given): cache entry made if missing, content hash and counts kept,
 * feature data dropped. An unreadable file is reported in `failed` and skipped.
 */
export async function indexFiles(
  files: readonly string[],
  opts: { run: FeatureRunner; cacheDir: string; concurrency?: number; onFile?: (file: string, cached: boolean) => void },
): Promise<IndexResult> {
  const out: Array<IndexedFile | null> = new Array(files.length).fill(null);
  const failed: Array<{ file: string; error: string }> = [];
  let cacheHits = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= files.length) return;
      let cached = false;
      try {
        const r = await opts.run({ kind: 'index', file: files[i], cacheDir: opts.cacheDir });
        out[i] = { file: files[i], contentHash: r.contentHash, frames: r.frames, active: r.active };
        cached = r.cached;
        if (cached) cacheHits++;
      } catch (err) {
        failed.push({ file: files[i], error: (err as Error).message });
      }
      opts.onFile?.(files[i], cached);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, lane));
  failed.sort((a, b) => (a.file < b.file ? -1 : 1));
  return { files: out.filter((f): f is IndexedFile => f !== null), failed, cacheHits };
}

/** Active frames of indexed files, read from the feature cache on demand. */
export class CachedFrameSource implements FrameSource {
  readonly bins = HOP;
  readonly activeCounts: readonly number[];

  constructor(readonly files: readonly IndexedFile[], private readonly run: FeatureRunner, private readonly cacheDir: string) {
    this.activeCounts = files.map((f) => f.active);
  }

  get totalActive(): number {
    let t = 0;
    for (const c of this.activeCounts) t += c;
    return t;
  }

  async readActive(i: number): Promise<Float32Array> {
    const f = this.files[i];
    let r: FeatureJobResult;
    try {
      r = await this.run({ kind: 'read', file: f.file, cacheDir: this.cacheDir });
    } catch (err) {
      throw new UserError(`${f.file}: readable when indexed, now fails: ${(err as Error).message}`);
    }
    if (r.contentHash !== f.contentHash || r.frames !== f.frames || r.active !== f.active || !r.rows) {
      throw new UserError(`${f.file} changed since the run indexed it; the data order cannot be reproduced (restart without --resume)`);
    }
    return r.rows;
  }
}

/**
 * At most `max` frames evenly spaced over the concatenated active frames of a source (frame
 * floor(i·T/max) for i < max; all frames when T ≤ max), reading one file at a time — the same
 * frames `subsampleFrames` picks from the in-memory concatenation.
 */
export async function evenlySpacedFrames(source: FrameSource, max: number): Promise<{ x: Float32Array; frames: number }> {
  const { bins, activeCounts } = source;
  let total = 0;
  for (const c of activeCounts) total += c;
  const n = Math.min(total, max);
  const x = new Float32Array(n * bins);
  let i = 0;
  let start = 0;
  for (let f = 0; f < activeCounts.length && i < n; f++) {
    const end = start + activeCounts[f];
    const pick = (k: number): number => (total <= max ? k : Math.floor((k * total) / max));
    if (pick(i) < end) {
      const rows = await source.readActive(f);
      for (; i < n && pick(i) < end; i++) {
        const j = pick(i) - start;
        x.set(rows.subarray(j * bins, (j + 1) * bins), i * bins);
      }
    }
    start = end;
  }
  return { x, frames: n };
}

/** sha256 over the file lists and frame counts: a resumed run must see the same data. */
export function dataFingerprint(train: readonly IndexedFile[], validation: readonly IndexedFile[]): string {
  const fp = createHash('sha256');
  for (const f of train) fp.update(`T ${f.contentHash} ${f.frames}\n`);
  for (const f of validation) fp.update(`V ${f.contentHash} ${f.frames}\n`);
  return fp.digest('hex').slice(0, 16);
}
