/**
 * Issue-12 probe (not a codec tool): how many bits a context in the magnitude coder could save.
 * The coder codes each bin's magnitude m_k with a Laplacian table chosen by its scale index j_k.
 * From the decoded frames of training speech this counts m (capped at CAP) per j, and per
 * (j, c) for two candidate contexts c: the previous bin's magnitude in the same frame, and the
 * same bin's magnitude in the previous frame (each capped at 2). The empirical conditional
 * entropies H(m | j) and H(m | j, c) (both fitted to the same data, so both optimistic) bound
 * what a context could save per frame, before any table cost. It also compares the shipped
 * Laplacian tables with the data: the bits they spend on the magnitudes (sign excluded) against
 * the empirical H(m | j) without the cap, the most that tables refitted per scale index could save.
 *
 *   npm run build && node dist/bench/context-coding-probe.js [--data DIR] [--every 25] [--bitrates 8k,24.4k]
 * Writes bench/results/context-coding-probe.json.
 */
import path from 'node:path';
import { encodeSpeech } from '../src/codec/codec.js';
import { Decoder } from '../src/codec/decoder.js';
import { HEADER_BYTES, readHeader } from '../src/coding/container.js';
import { loadSpeech } from '../src/audio/load.js';
import { magnitudeBits } from '../src/model/entropy-model.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';
import { trainingSubset } from './training-subset.js';

const CAP = 16;
const CONTEXTS = 3;

function entropyBits(counts: Map<string, number[]>): number {
  let bits = 0;
  for (const row of counts.values()) {
    const n = row.reduce((a, b) => a + b, 0);
    for (const c of row) if (c > 0) bits -= c * Math.log2(c / n);
  }
  return bits;
}

function add(map: Map<string, number[]>, key: string, m: number): void {
  let row = map.get(key);
  if (!row) map.set(key, (row = new Array<number>(CAP + 1).fill(0)));
  row[Math.min(m, CAP)]++;
}

async function main(): Promise<void> {
  const { root, data, every, bitrates, files, model } = await trainingSubset('8k,13.2k,24.4k,32k');
  const rows = [];
  for (const bitrate of bitrates) {
    const byJ = new Map<string, number[]>();
    const byJPrevBin = new Map<string, number[]>();
    const byJPrevFrame = new Map<string, number[]>();
    const byJExact = new Map<number, Map<number, number>>();
    let tableBits = 0;
    let frames = 0;
    let coded = 0;
    for (const file of files) {
      const x = (await loadSpeech(file, 16000)).samples;
      const bytes = encodeSpeech(model, x, bitrate);
      const { header } = readHeader(bytes);
      const dec = new Decoder(model, bitrate);
      const fd = dec.frameDecoder;
      fd.recordFields = true;
      const fb = dec.frameBytes;
      let prev: Int32Array = new Int32Array(model.bins);
      for (let j = 0; j < header.frameCount; j++) {
        dec.decodeFrame(bytes.subarray(HEADER_BYTES + j * fb, HEADER_BYTES + (j + 1) * fb));
        const f = fd.last!;
        const scale = fd.scaleIndices;
        frames++;
        for (let k = 0; k < f.codedBins; k++) {
          const m = Math.abs(f.q[k]);
          const jk = scale[k];
          const left = k > 0 ? Math.min(Math.abs(f.q[k - 1]), CONTEXTS - 1) : 0;
          const before = Math.min(Math.abs(prev[k]), CONTEXTS - 1);
          add(byJ, `${jk}`, m);
          tableBits += magnitudeBits(jk, m) - (m > 0 ? 1 : 0);
          let exact = byJExact.get(jk);
          if (!exact) byJExact.set(jk, (exact = new Map()));
          exact.set(m, (exact.get(m) ?? 0) + 1);
          add(byJPrevBin, `${jk}:${left}`, m);
          add(byJPrevFrame, `${jk}:${before}`, m);
          coded++;
        }
        prev = f.q;
      }
    }
    const h0 = entropyBits(byJ) / frames;
    const h1 = entropyBits(byJPrevBin) / frames;
    const h2 = entropyBits(byJPrevFrame) / frames;
    let hExact = 0;
    for (const row of byJExact.values()) {
      let n = 0;
      for (const c of row.values()) n += c;
      for (const c of row.values()) hExact -= c * Math.log2(c / n);
    }
    const shipped = tableBits / frames;
    const refit = hExact / frames;
    const row = { bitrate, frames, binsPerFrame: coded / frames, bitsPerFrameGivenScale: h0, bitsPerFrameGivenScaleAndPreviousBin: h1, bitsPerFrameGivenScaleAndPreviousFrame: h2, bitsPerFrameShippedTables: shipped, bitsPerFrameGivenScaleUncapped: refit };
    rows.push(row);
    process.stdout.write(`${bitrate / 1000} kbit/s: H(m|j) ${h0.toFixed(1)} bits/frame; with the previous bin ${h1.toFixed(1)} (−${(h0 - h1).toFixed(1)}); with the previous frame ${h2.toFixed(1)} (−${(h0 - h2).toFixed(1)}); shipped tables ${shipped.toFixed(1)} against H(m|j) uncapped ${refit.toFixed(1)} (−${(shipped - refit).toFixed(1)})\n`);
  }
  await writeFileAtomic(path.join(root, 'bench', 'results', 'context-coding-probe.json'), JSON.stringify({
    bench: 'context-coding-probe', date: new Date().toISOString(), data: path.relative(root, data), every, files: files.length, cap: CAP, rows,
  }, null, 1) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`context-coding-probe failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
