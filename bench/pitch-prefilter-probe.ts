/**
 * Issue-12 probe (not a codec tool yet): how much WB-PESQ a CELT-style pitch pre-filter and
 * post-filter pair could buy around the codec, before building it into the format.
 *
 * Per 20 ms frame, an open-loop pitch T (peak of the normalised autocorrelation over lags
 * 2–20 ms on the input) and gain g = gmax · correlation when the correlation exceeds a
 * threshold, else 0. The encoder side codes x_pre[n] = x[n] − g·x[n − T]; the decoder side
 * inverts it with y[n] = ŷ[n] + g·y[n − T], so quantization noise is shaped like the harmonic
 * spectrum. The parameters cross-fade over the first 5 ms of each frame (old → new, sin²), the
 * same schedule on both sides. They are "oracle" side information here: not in the stream and
 * not counted in the bits; the report counts the frames that would need them.
 *
 *   npm run build && node dist/bench/pitch-prefilter-probe.js [--every 25] [--limit N]
 *       [--bitrates 8k,13.2k,...] [--gains 0.2,0.3,0.4] [--threshold 0.5]
 * Writes bench/results/pitch-prefilter-probe.json.
 */
import path from 'node:path';
import { Command } from 'commander';
import { BITRATES, type Bitrate, parseBitrate } from '../src/coding/modes.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { scorePair } from '../src/eval/metrics.js';
import { loadSpeech } from '../src/audio/load.js';
import { loadModel, packageRoot } from '../src/model/codec-model.js';
import { scanAudioFolders } from '../src/audio/scan.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const HOP = 320;
const FADE = 80;
const MIN_LAG = 32;
const MAX_LAG = 320;

interface PitchTrack { lag: Int32Array; gain: Float64Array; voiced: number }

function pitchTrack(x: Float32Array, gmax: number, threshold: number): PitchTrack {
  const frames = Math.ceil(x.length / HOP);
  const lag = new Int32Array(frames);
  const gain = new Float64Array(frames);
  let voiced = 0;
  for (let f = 0; f < frames; f++) {
    const s = f * HOP;
    if (s - MAX_LAG < 0 || s + HOP > x.length) continue;
    let e0 = 0;
    for (let i = s; i < s + HOP; i++) e0 += x[i] * x[i];
    let best = 0;
    let bestLag = 0;
    for (let t = MIN_LAG; t <= MAX_LAG; t++) {
      let xy = 0;
      let yy = 0;
      for (let i = s; i < s + HOP; i++) {
        xy += x[i] * x[i - t];
        yy += x[i - t] * x[i - t];
      }
      const c = xy / Math.sqrt(e0 * yy + 1e-12);
      if (c > best) {
        best = c;
        bestLag = t;
      }
    }
    if (best > threshold) {
      lag[f] = bestLag;
      gain[f] = gmax * Math.min(1, best);
      voiced++;
    }
  }
  return { lag, gain, voiced };
}

/** The two taps at sample n: the previous frame's parameters fading out, this frame's fading in. */
function taps(n: number, p: PitchTrack): [number, number, number, number] {
  const f = Math.floor(n / HOP);
  const i = n - f * HOP;
  const gNew = f < p.gain.length ? p.gain[f] : 0;
  const tNew = f < p.lag.length ? p.lag[f] : 0;
  const gOld = f > 0 ? p.gain[f - 1] : 0;
  const tOld = f > 0 ? p.lag[f - 1] : 0;
  const w = i < FADE ? Math.sin((0.5 * Math.PI * (i + 0.5)) / FADE) ** 2 : 1;
  return [gOld * (1 - w), tOld, gNew * w, tNew];
}

function preFilter(x: Float32Array, p: PitchTrack): Float32Array {
  const y = new Float32Array(x.length);
  for (let n = 0; n < x.length; n++) {
    const [a, ta, b, tb] = taps(n, p);
    let v = x[n];
    if (a !== 0 && n >= ta) v -= a * x[n - ta];
    if (b !== 0 && n >= tb) v -= b * x[n - tb];
    y[n] = v;
  }
  return y;
}

function postFilter(yh: Float32Array, p: PitchTrack): Float32Array {
  const y = new Float32Array(yh.length);
  for (let n = 0; n < yh.length; n++) {
    const [a, ta, b, tb] = taps(n, p);
    let v = yh[n];
    if (a !== 0 && n >= ta) v += a * y[n - ta];
    if (b !== 0 && n >= tb) v += b * y[n - tb];
    y[n] = v;
  }
  return y;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const o = new Command()
    .option('--data <dir>', 'speech folder', path.resolve(root, '..', 'shared', 'speech', 'LibriSpeech', 'train-clean-100'))
    .option('--every <k>', 'every k-th file', (v) => Number(v), 25)
    .option('--limit <n>', 'at most N files', (v) => Number(v))
    .option('--bitrates <list>', "comma-separated modes or 'all'", 'all')
    .option('--gains <list>', 'gmax values to try', '0.2,0.3,0.4')
    .option('--threshold <c>', 'voicing threshold (normalised correlation)', (v) => Number(v), 0.5)
    .parse(process.argv)
    .opts<{ data: string; every: number; limit?: number; bitrates: string; gains: string; threshold: number }>();
  const bitrates: Bitrate[] = o.bitrates === 'all' ? [...BITRATES] : o.bitrates.split(',').map(parseBitrate);
  const gains = o.gains.split(',').map(Number);
  let files = (await scanAudioFolders([o.data])).filter((_, i) => i % o.every === 0);
  if (o.limit) files = files.slice(0, o.limit);
  const model = loadModel();
  const t0 = performance.now();
  const rows: Array<{ file: string; bitrate: Bitrate; gmax: number; voicedShare: number; pesq: number; stoi: number; psnr: number }> = [];
  for (const file of files) {
    const x = (await loadSpeech(file)).samples;
    for (const gmax of [0, ...gains]) {
      const p = gmax > 0 ? pitchTrack(x, gmax, o.threshold) : null;
      const xin = p ? preFilter(x, p) : x;
      for (const bitrate of bitrates) {
        let out = decodeSpeech(model, encodeSpeech(model, xin, bitrate, 16000)).samples;
        if (p) out = postFilter(out, p);
        const r = scorePair(x, out, 16000);
        rows.push({ file: path.basename(file), bitrate, gmax, voicedShare: p ? p.voiced / p.lag.length : 0, pesq: r.pesq, stoi: r.stoi, psnr: r.psnr });
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const means: Array<{ bitrate: Bitrate; gmax: number; pesq: number; stoi: number; psnr: number; voicedShare: number }> = [];
  const lines = ['| kbit/s | gmax | PESQ | ΔPESQ | STOI | ΔSTOI | pSNR | ΔpSNR | frames with a pitch |', '|---|---|---|---|---|---|---|---|---|'];
  for (const bitrate of bitrates) {
    let base: { pesq: number; stoi: number; psnr: number } | null = null;
    for (const gmax of [0, ...gains]) {
      const sel = rows.filter((r) => r.bitrate === bitrate && r.gmax === gmax);
      const m = { bitrate, gmax, pesq: mean(sel.map((r) => r.pesq)), stoi: mean(sel.map((r) => r.stoi)), psnr: mean(sel.map((r) => r.psnr)), voicedShare: mean(sel.map((r) => r.voicedShare)) };
      means.push(m);
      base ??= m;
      const d = (a: number, b: number, f: number): string => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(f)}`;
      lines.push(`| ${bitrate / 1000} | ${gmax === 0 ? 'off' : gmax} | ${m.pesq.toFixed(3)} | ${d(m.pesq, base.pesq, 3)} | ${m.stoi.toFixed(4)} | ${d(m.stoi, base.stoi, 4)} | ${m.psnr.toFixed(2)} | ${d(m.psnr, base.psnr, 2)} | ${gmax === 0 ? '' : `${(100 * m.voicedShare).toFixed(0)} %`} |`);
    }
  }
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(lines.join('\n') + `\nwall time ${wall.toFixed(1)} s\n`);
  await writeFileAtomic(path.join(root, 'bench', 'results', 'pitch-prefilter-probe.json'), JSON.stringify({
    bench: 'pitch-prefilter-probe', date: new Date().toISOString(), data: path.relative(root, o.data), every: o.every, threshold: o.threshold,
    files: files.map((f) => path.basename(f)), wallSeconds: wall, means, perFile: rows,
  }, null, 1) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`pitch-prefilter-probe failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
