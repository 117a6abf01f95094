/**
 * The streaming training loader (issue 6, 100-hour runs): epoch order, bounded memory, exact
 * random access, the frame store's worker threads and its change detection.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BatchStream } from '../src/train/batch-stream.js';
import { EpochPlan } from '../src/train/shuffle.js';
import { CachedFrameSource, evenlySpacedFrames, FeatureWorkers, indexFiles, type FrameSource } from '../src/train/frame-store.js';
import { subsampleFrames } from '../src/train/dataset.js';
import { featureCacheEntry } from '../src/train/features.js';
import { writeWav16 } from '../src/audio/wav-write.js';
import { UserError } from '../src/errors.js';
import { Rng } from '../src/vq/random.js';
import { testTempDir } from './helpers/temp.js';

const BINS = 3;

/** Frames that name themselves: row r of file f is [f, r, f·1000 + r]. Counts reads in flight. */
class FakeSource implements FrameSource {
  readonly bins = BINS;
  reads = 0;
  failOn = -1;
  constructor(readonly activeCounts: number[]) {}
  async readActive(f: number): Promise<Float32Array> {
    this.reads++;
    await new Promise((r) => setTimeout(r, 0));
    if (f === this.failOn) throw new Error(`cannot read file ${f}`);
    const x = new Float32Array(this.activeCounts[f] * BINS);
    for (let r = 0; r < this.activeCounts[f]; r++) x.set([f, r, f * 1000 + r], r * BINS);
    return x;
  }
}

function randomCounts(n: number, seed: number, max = 60): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => (rng.uniform() < 0.1 ? 0 : 1 + rng.int(max)));
}

/** Frame ids (f·1000 + r) of a batch. */
function ids(batch: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.length / BINS; i++) out.push(batch[i * BINS + 2]);
  return out;
}

async function epochIds(s: BatchStream, epoch: number): Promise<number[]> {
  const out: number[] = [];
  for (let b = 0; b < s.batchesPerEpoch; b++) out.push(...ids(await s.get(epoch, b)));
  return out;
}

describe('epoch plan', () => {
  it('windows tile the file-permuted stream exactly, and file orders differ between epochs', () => {
    const counts = randomCounts(40, 1);
    const plan = new EpochPlan(counts, 7, 97);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(plan.total).toBe(total);
    for (const epoch of [0, 1]) {
      const seen: string[] = [];
      let frames = 0;
      for (let w = 0; w < plan.windowsPerEpoch; w++) {
        const slices = plan.windowSlices(epoch, w);
        const size = slices.reduce((a, s) => a + s.to - s.from, 0);
        expect(size).toBe(plan.windowSize(w));
        frames += size;
        for (const s of slices) for (let r = s.from; r < s.to; r++) seen.push(`${s.file}:${r}`);
      }
      expect(frames).toBe(total);
      expect(new Set(seen).size).toBe(total);
      // Stream order is the epoch's file order, rows in time order.
      const order = [...plan.fileOrder(epoch)].filter((f) => counts[f] > 0);
      const firstOf = [...new Set(seen.map((k) => Number(k.split(':')[0])))];
      expect(firstOf).toEqual(order);
    }
    expect([...plan.fileOrder(0)]).not.toEqual([...plan.fileOrder(1)]);
    expect(() => plan.windowSlices(0, plan.windowsPerEpoch)).toThrow(RangeError);
  });
});

describe('batch stream', () => {
  it('visits every frame exactly once per epoch, in an order that differs between epochs', async () => {
    const counts = randomCounts(30, 2);
    const total = counts.reduce((a, b) => a + b, 0);
    const s = new BatchStream(new FakeSource(counts), { batch: 1, seed: 3, shuffleFrames: 128 });
    expect(s.plan.windowsPerEpoch).toBeGreaterThan(3);
    const e0 = await epochIds(s, 0);
    const e1 = await epochIds(s, 1);
    const all = counts.flatMap((c, f) => Array.from({ length: c }, (_, r) => f * 1000 + r)).sort((a, b) => a - b);
    expect([...e0].sort((a, b) => a - b)).toEqual(all);
    expect([...e1].sort((a, b) => a - b)).toEqual(all);
    expect(e1).not.toEqual(e0);
    expect(e0.length).toBe(total);
  });

  it('batches straddling windows: no frame twice, T mod B frames left out', async () => {
    const counts = randomCounts(30, 4);
    const total = counts.reduce((a, b) => a + b, 0);
    const s = new BatchStream(new FakeSource(counts), { batch: 64, seed: 5, shuffleFrames: 100 });
    expect(s.batchesPerEpoch).toBe(Math.floor(total / 64));
    const e0 = await epochIds(s, 0);
    expect(e0.length).toBe(s.batchesPerEpoch * 64);
    expect(new Set(e0).size).toBe(e0.length);
  });

  it('holds at most two windows (the current one and the one read ahead) however large the data', async () => {
    const counts = randomCounts(200, 6); // ≈ 5600 frames through a 256-frame window
    const source = new FakeSource(counts);
    const M = 256;
    const s = new BatchStream(source, { batch: 50, seed: 1, shuffleFrames: M });
    expect(s.plan.total).toBeGreaterThan(15 * M);
    expect(s.maxHeldFrames).toBe(2 * M);
    for (let e = 0; e < 2; e++) {
      for (let b = 0; b < s.batchesPerEpoch; b++) {
        await s.get(e, b);
        expect(s.stats.heldFrames).toBeLessThanOrEqual(2 * M);
      }
    }
    expect(s.stats.peakHeldFrames).toBeLessThanOrEqual(2 * M);
    expect(s.stats.peakHeldFrames).toBeGreaterThan(M); // it did read ahead
    // Sequential access reads each window once (plus the next epoch's first, read ahead).
    await s.window(2, 0); // let that read-ahead finish
    expect(s.stats.peakHeldFrames).toBeLessThanOrEqual(2 * M);
    expect(s.stats.windowsLoaded).toBe(2 * s.plan.windowsPerEpoch + 1);
    expect(s.stats.framesRead).toBe(2 * s.plan.total + s.plan.windowSize(0));
    s.close();
  });

  it('is a pure function of (seed, epoch, batch): random access equals sequential access', async () => {
    const counts = randomCounts(50, 8);
    const opts = { batch: 40, seed: 11, shuffleFrames: 300 };
    const a = new BatchStream(new FakeSource(counts), opts);
    const seq: Float32Array[] = [];
    for (let e = 0; e < 2; e++) for (let b = 0; b < a.batchesPerEpoch; b++) seq.push(await a.get(e, b));
    const per = a.batchesPerEpoch;
    const mid = Math.floor(per / 2) + 1;
    const b2 = new BatchStream(new FakeSource(counts), opts);
    expect(await b2.get(1, mid)).toEqual(seq[per + mid]);
    expect(await b2.get(0, 3)).toEqual(seq[3]);
    // The resumed stream reads only the windows it needs, not the skipped part of the epoch.
    expect(b2.stats.windowsLoaded).toBeLessThanOrEqual(4);
    const other = new BatchStream(new FakeSource(counts), { ...opts, seed: 12 });
    expect(await other.get(0, 3)).not.toEqual(seq[3]);
  });

  it('data within one window: read once, T frames held, a new permutation every epoch', async () => {
    const counts = randomCounts(20, 12);
    const total = counts.reduce((a, b) => a + b, 0);
    const s = new BatchStream(new FakeSource(counts), { batch: 1, seed: 2, shuffleFrames: total + 5 });
    expect(s.plan.windowsPerEpoch).toBe(1);
    expect(s.maxHeldFrames).toBe(total);
    const epochs = [await epochIds(s, 0), await epochIds(s, 1), await epochIds(s, 2)];
    expect(s.stats.windowsLoaded).toBe(1);
    expect(s.stats.peakHeldFrames).toBe(total);
    expect(new Set(epochs.map((e) => e.join(','))).size).toBe(3);
    for (const e of epochs) expect(new Set(e).size).toBe(total);
    s.close();
    expect(s.stats.heldFrames).toBe(0);
  });

  it('data smaller than a batch: one batch of everything per epoch', async () => {
    const s = new BatchStream(new FakeSource([3, 0, 4]), { batch: 64, seed: 1, shuffleFrames: 1000 });
    expect(s.batchFrames).toBe(7);
    expect(s.batchesPerEpoch).toBe(1);
    expect(ids(await s.get(0, 0)).sort((a, b) => a - b)).toEqual([0, 1, 2, 2000, 2001, 2002, 2003]);
  });

  it('a failed read surfaces when its window is needed', async () => {
    const source = new FakeSource(randomCounts(20, 9));
    const s = new BatchStream(source, { batch: 10, seed: 1, shuffleFrames: 50 });
    source.failOn = s.plan.windowSlices(0, 0)[0].file;
    await expect(s.get(0, 0)).rejects.toThrow(/cannot read file/);
  });
});

describe('frame store', () => {
  it('evenly spaced validation frames equal the in-memory subsample', async () => {
    const counts = randomCounts(25, 10);
    const source = new FakeSource(counts);
    const all = new Float32Array(counts.reduce((a, b) => a + b, 0) * BINS);
    let o = 0;
    for (let f = 0; f < counts.length; f++) { const r = await source.readActive(f); all.set(r, o); o += r.length; }
    const set = { x: all, frames: all.length / BINS, bins: BINS, files: counts.length };
    for (const max of [7, 100, 100000]) {
      const got = await evenlySpacedFrames(source, max);
      const want = subsampleFrames(set, max);
      expect(got.frames).toBe(want.frames);
      expect(got.x).toEqual(want.x);
    }
  });

  it('worker threads and the calling thread index and read the same frames; a changed file is refused', async () => {
    const dir = testTempDir('nsvq-store-');
    mkdirSync(path.join(dir, 'audio'));
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const rng = new Rng(i + 1);
      const x = new Float32Array(16000 * (0.5 + 0.25 * i));
      for (let n = 4000; n < x.length; n++) x[n] = 0.2 * Math.sin(0.05 * (i + 1) * n) + 0.01 * rng.normal();
      const f = path.join(dir, 'audio', `a${i}.wav`);
      await writeWav16(f, x, 16000);
      files.push(f);
    }
    writeFileSync(path.join(dir, 'audio', 'broken.wav'), 'not audio');
    files.push(path.join(dir, 'audio', 'broken.wav'));
    const inThread = new FeatureWorkers(1);
    const pool = new FeatureWorkers(2);
    try {
      const a = await indexFiles(files, { run: inThread.run, cacheDir: path.join(dir, 'c1') });
      const b = await indexFiles(files, { run: pool.run, cacheDir: path.join(dir, 'c2') });
      expect(a.files).toEqual(b.files);
      expect(a.files.length).toBe(3);
      expect(a.failed.map((f) => path.basename(f.file))).toEqual(['broken.wav']);
      expect(b.cacheHits).toBe(0);
      // Re-indexing takes the counts from the entries' sidecars without reading the features: a
      // damaged entry goes unnoticed here, and is rebuilt (same frames) when it is read.
      const entry0 = featureCacheEntry(path.join(dir, 'c2'), b.files[0].contentHash);
      expect(existsSync(`${entry0}.active.json`)).toBe(true);
      writeFileSync(entry0, 'damaged');
      const again = await indexFiles(files, { run: pool.run, cacheDir: path.join(dir, 'c2') });
      expect(again.cacheHits).toBe(3);
      expect(again.files).toEqual(b.files);
      expect(readFileSync(entry0, 'utf8')).toBe('damaged');
      const sa = new CachedFrameSource(a.files, inThread.run, path.join(dir, 'c1'));
      const sb = new CachedFrameSource(b.files, pool.run, path.join(dir, 'c2'));
      for (let i = 0; i < 3; i++) {
        const ra = await sa.readActive(i);
        expect(ra.length).toBe(a.files[i].active * 320);
        expect(a.files[i].active).toBeLessThan(a.files[i].frames); // the silent start is dropped
        expect(await sb.readActive(i)).toEqual(ra);
      }
      await writeWav16(files[1], new Float32Array(8000).fill(0.1), 16000);
      await expect(sb.readActive(1)).rejects.toThrow(UserError);
      await expect(sa.readActive(1)).rejects.toThrow(/changed since the run indexed it/);
    } finally {
      await pool.close();
    }
  });
});
