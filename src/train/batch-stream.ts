/**
 * Streaming batches for training (issue 6): the order of shuffle.ts over a FrameSource, with
 * at most two shuffle windows in memory — the one being consumed and the next one, read ahead
 * while the trainer works on the current one (the reads themselves run on the feature workers
 * or the libuv thread pool, so the training loop only waits when a read falls behind).
 *
 * Memory: ≤ 2·M frames of features (+ a permutation of M int32 per window), whatever the data
 * size; `stats` counts what the loader holds so tests can assert the bound without RSS.
 * A batch that straddles two windows needs both; then nothing is read ahead until it is served.
 * When all frames fit in one window (T ≤ M), they are read once and shared by every epoch (each
 * epoch only draws a new permutation), so memory is T frames, as with the in-memory loader.
 *
 * Determinism: `get(e, b)` is a pure function of (source, seed, M, B, e, b) — random access
 * (a resumed run starting mid-epoch) gives the same batch as sequential access.
 */
import type { FrameSource } from './frame-store.js';
import { EpochPlan } from './shuffle.js';

export interface BatchStreamOptions {
  batch: number;
  seed: number;
  /** Shuffle window M in frames. */
  shuffleFrames: number;
  /** Files read at once while filling a window (default 4). */
  readConcurrency?: number;
}

export interface BatchStreamStats {
  /** Frames in windows held now (allocated, loaded or loading). */
  heldFrames: number;
  /** Largest `heldFrames` so far. */
  peakHeldFrames: number;
  windowsLoaded: number;
  /** Active frames copied from the source (a file straddling two windows is read for each). */
  framesRead: number;
  filesRead: number;
  /** Seconds `get` spent waiting for a window that was not yet loaded. */
  waitSeconds: number;
}

interface LoadedWindow {
  /** Stream-order frames, size × bins. */
  x: Float32Array;
  perm: Int32Array;
  size: number;
}

interface HeldWindow {
  size: number;
  promise: Promise<LoadedWindow>;
  settled: boolean;
}

export class BatchStream {
  readonly plan: EpochPlan;
  readonly stats: BatchStreamStats = { heldFrames: 0, peakHeldFrames: 0, windowsLoaded: 0, framesRead: 0, filesRead: 0, waitSeconds: 0 };
  private readonly held = new Map<string, HeldWindow>();
  /** T ≤ M: every frame, read once and shared by all epochs' windows. */
  private whole: { x: Promise<Float32Array>; settled: boolean } | null = null;
  private readonly concurrency: number;

  constructor(readonly source: FrameSource, readonly options: BatchStreamOptions) {
    if (!Number.isInteger(options.batch) || options.batch < 1) throw new RangeError('batch must be a positive integer');
    this.plan = new EpochPlan(source.activeCounts, options.seed, options.shuffleFrames);
    if (this.plan.total === 0) throw new RangeError('no training frames');
    this.concurrency = Math.max(1, options.readConcurrency ?? 4);
  }

  /** Frames per batch actually delivered (smaller than `batch` only when the data is). */
  get batchFrames(): number {
    return Math.min(this.options.batch, this.plan.total);
  }

  /** The most frames this loader holds: two windows, or all frames once when they fit in one. */
  get maxHeldFrames(): number {
    return this.plan.windowsPerEpoch === 1 ? this.plan.total : 2 * this.plan.windowFrames;
  }

  /** Full batches per epoch (the last T mod B frames of an epoch's sequence are skipped). */
  get batchesPerEpoch(): number {
    return Math.max(1, Math.floor(this.plan.total / this.batchFrames));
  }

  /** Batch b of epoch e (batchFrames × bins, a fresh array). */
  async get(epoch: number, b: number): Promise<Float32Array> {
    if (!Number.isInteger(b) || b < 0 || b >= this.batchesPerEpoch) throw new RangeError(`batch ${b} outside 0…${this.batchesPerEpoch - 1}`);
    const n = this.batchFrames;
    const M = this.plan.windowFrames;
    const p0 = b * n;
    const w0 = Math.floor(p0 / M);
    const w1 = Math.floor((p0 + n - 1) / M);
    const need: Array<[number, number]> = [[epoch, w0]];
    if (w1 !== w0) need.push([epoch, w1]);
    // Read ahead only when one window serves this batch, so at most two are ever held.
    const ahead = w1 === w0 ? this.nextWindow(epoch, w1) : null;
    const keep = new Set([...need, ...(ahead ? [ahead] : [])].map(([e, w]) => keyOf(e, w)));
    for (const k of [...this.held.keys()]) if (!keep.has(k)) this.release(k);
    const wins = need.map(([e, w]) => this.acquire(e, w));
    if (ahead) this.acquire(ahead[0], ahead[1]);

    const t0 = performance.now();
    const loaded = await Promise.all(wins);
    this.stats.waitSeconds += (performance.now() - t0) / 1000;

    const { bins } = this.source;
    const out = new Float32Array(n * bins);
    for (let i = 0; i < n; i++) {
      const p = p0 + i;
      const w = Math.floor(p / M);
      const win = loaded[w - w0];
      const row = win.perm[p - w * M];
      out.set(win.x.subarray(row * bins, (row + 1) * bins), i * bins);
    }
    return out;
  }

  /**
   * The frames of window w of epoch e in stream order (not permuted), for initialising
   * codebooks from data without another read: window (0, 0) is the first one trained on.
   */
  async window(epoch: number, w: number): Promise<{ x: Float32Array; frames: number }> {
    const win = await this.acquire(epoch, w);
    return { x: win.x, frames: win.size };
  }

  /** Drop every held window (their memory goes once in-flight reads finish). */
  close(): void {
    for (const k of [...this.held.keys()]) this.release(k);
    const whole = this.whole;
    if (whole) {
      this.whole = null;
      const done = (): void => { this.stats.heldFrames -= this.plan.total; };
      if (whole.settled) done();
      else whole.x.then(done, done);
    }
  }

  private nextWindow(epoch: number, w: number): [number, number] {
    return w + 1 < this.plan.windowsPerEpoch ? [epoch, w + 1] : [epoch + 1, 0];
  }

  private acquire(epoch: number, w: number): Promise<LoadedWindow> {
    const key = keyOf(epoch, w);
    const existing = this.held.get(key);
    if (existing) return existing.promise;
    const size = this.plan.windowSize(w);
    let frames: Promise<Float32Array>;
    let counted = size;
    if (this.plan.windowsPerEpoch === 1) {
      if (!this.whole) {
        this.count(size);
        const whole = { x: this.readFrames(epoch, w, size), settled: false };
        const settleWhole = (): void => { whole.settled = true; };
        whole.x.then(settleWhole, settleWhole);
        this.whole = whole;
      }
      frames = this.whole.x;
      counted = 0; // the shared frames are counted once, above
    } else {
      this.count(size);
      frames = this.readFrames(epoch, w, size);
    }
    const h: HeldWindow = {
      size: counted,
      promise: frames.then((x) => ({ x, perm: this.plan.windowPermutation(epoch, w), size })),
      settled: false,
    };
    const settle = (): void => { h.settled = true; };
    // A read-ahead failure surfaces when the window is needed (through `promise`).
    h.promise.then(settle, settle);
    this.held.set(key, h);
    return h.promise;
  }

  private count(frames: number): void {
    this.stats.heldFrames += frames;
    this.stats.peakHeldFrames = Math.max(this.stats.peakHeldFrames, this.stats.heldFrames);
  }

  private release(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    this.held.delete(key);
    // The buffer of a window still being read lives until the read ends: count it until then.
    const done = (): void => { this.stats.heldFrames -= h.size; };
    if (h.settled) done();
    else h.promise.then(done, done);
  }

  /** Window w of epoch e in stream order (size × bins). */
  private async readFrames(epoch: number, w: number, size: number): Promise<Float32Array> {
    const { bins } = this.source;
    const x = new Float32Array(size * bins);
    const slices = this.plan.windowSlices(epoch, w);
    const offsets: number[] = [];
    let off = 0;
    for (const s of slices) { offsets.push(off); off += s.to - s.from; }
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= slices.length) return;
        const s = slices[i];
        const rows = await this.source.readActive(s.file);
        if (rows.length !== this.source.activeCounts[s.file] * bins) {
          throw new Error(`file ${s.file} gave ${rows.length / bins} active frames, its index says ${this.source.activeCounts[s.file]}`);
        }
        x.set(rows.subarray(s.from * bins, s.to * bins), offsets[i] * bins);
        this.stats.framesRead += s.to - s.from;
        this.stats.filesRead++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, slices.length) }, worker));
    this.stats.windowsLoaded++;
    return x;
  }
}

function keyOf(epoch: number, w: number): string {
  return `${epoch}:${w}`;
}
