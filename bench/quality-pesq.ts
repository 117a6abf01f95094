/**
 * Issue-12 experiment harness: encode each file once per mode, decode it under several
 * decoder/encoder variants in-process, score every output with scorePair (WB-PESQ, STOI, pSNR)
 * and print the means per mode and variant beside the first variant.
 *
 *   npm run bench:quality-pesq -- [--data DIR] [--every K] [--limit N] [--bitrates 8k,13.2k]
 *       [--variants 'base; fillTopScale=0.5,fillTopBin=240; formantBeta=0.2'] [--workers 1]
 *       [--tag NAME] [--loss 'clean,0.03,0.1,b0.1']
 *
 * A variant is `name:` (optional) followed by comma-separated key=value pairs of DecoderTuning
 * (src/coding/post-filter.ts), of encoder settings prefixed `enc.` (EncoderTuning), or of the
 * weighting both sides share, prefixed `fmt.` (weightGamma, weightTilt), or of the packet-loss
 * concealment, prefixed `plc.` (ConcealmentTuning, src/codec/concealment.ts), or of the pitch
 * pre-filter's encoder choices, prefixed `pitch.` (PitchTuning: gainMax, voicing); `base` (or
 * an empty variant) is the shipped behaviour. `@rate=value` limits a setting to one mode, e.g.
 * `fillLevel@8000=0.3`. Tune on training speech (train-clean-100), check on test-other.
 * --loss scores each variant under simulated packet loss too: a rate is random loss, bN a bursty
 * loss (Gilbert, mean burst 3 frames) at rate N, `clean` none; patterns are seeded per file (its
 * path relative to --data) as in `eval --loss`.
 * Writes bench/results/quality-pesq[-TAG].json.
 */
import { benchEntry, runFileWorkers } from './file-workers.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BITRATES, type Bitrate, parseBitrate } from '../src/coding/modes.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { scorePair } from '../src/eval/metrics.js';
import { loadSpeech } from '../src/audio/load.js';
import { loadModel, packageRoot } from '../src/model/codec-model.js';
import { scanAudioFolders } from '../src/audio/scan.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';
import type { DecoderTuning } from '../src/coding/post-filter.js';
import type { EncoderTuning } from '../src/coding/frame-encoder.js';
import type { ConcealmentTuning } from '../src/codec/concealment.js';
import type { EncoderSettings } from '../src/codec/encoder.js';
import type { PitchTuning } from '../src/coding/pitch-filter.js';
import { lossMask } from '../src/codec/loss-pattern.js';
import { readHeader } from '../src/coding/container.js';
import { fileLossSpec, type EvalLoss } from '../src/eval/eval-file.js';

interface Variant { name: string; dec: Record<string, Record<string, number>>; enc: Record<string, Record<string, number>>; plc: Record<string, Record<string, number>>; pitch: Record<string, Record<string, number>> }
interface LossCondition { name: string; loss: EvalLoss | null }
interface WorkerInput { files: string[]; root: string; bitrates: Bitrate[]; variants: Variant[]; losses: LossCondition[] }
interface Score { file: string; bitrate: Bitrate; loss: string; variant: string; pesq: number; stoi: number; psnr: number }
type Message = { type: 'score'; score: Score } | { type: 'error'; file: string; message: string };

/** Parse 'name: a=1,b@8000=2' into per-mode setting maps ('*' = every mode). */
function parseVariant(text: string, index: number): Variant {
  let body = text.trim();
  let name = body === '' || body === 'base' ? 'base' : body;
  const colon = body.indexOf(':');
  if (colon >= 0) {
    name = body.slice(0, colon).trim();
    body = body.slice(colon + 1).trim();
  }
  const v: Variant = { name: name || `v${index}`, dec: {}, enc: {}, plc: {}, pitch: {} };
  if (body === '' || body === 'base') return v;
  for (const part of body.split(',')) {
    const [lhs, rhs] = part.split('=').map((t) => t.trim());
    const value = Number(rhs);
    if (!lhs || !Number.isFinite(value)) throw new Error(`bad setting '${part}' in variant '${text}'`);
    const [key, rate] = lhs.split('@');
    const mode = rate ? String(parseBitrate(rate)) : '*';
    if (key.startsWith('fmt.')) {
      // A setting both sides must share (the weighting).
      (v.enc[mode] ??= {})[key.slice(4)] = value;
      (v.dec[mode] ??= {})[key.slice(4)] = value;
      continue;
    }
    if (key.startsWith('plc.')) {
      (v.plc[mode] ??= {})[key.slice(4)] = value;
      continue;
    }
    if (key.startsWith('pitch.')) {
      (v.pitch[mode] ??= {})[key.slice(6)] = value;
      continue;
    }
    const isEnc = key.startsWith('enc.');
    const target = isEnc ? v.enc : v.dec;
    (target[mode] ??= {})[isEnc ? key.slice(4) : key] = value;
  }
  return v;
}

function settingsFor(map: Record<string, Record<string, number>>, bitrate: Bitrate): Record<string, number> {
  return { ...(map['*'] ?? {}), ...(map[String(bitrate)] ?? {}) };
}

async function scoreFiles(input: WorkerInput, emit: (m: Message) => void): Promise<void> {
  const model = loadModel();
  for (const file of input.files) {
    try {
      const ref = (await loadSpeech(file, 16000)).samples;
      for (const bitrate of input.bitrates) {
        const streams = new Map<string, Uint8Array>();
        for (const v of input.variants) {
          const enc: EncoderSettings = { ...(settingsFor(v.enc, bitrate) as Partial<EncoderTuning>), pitch: settingsFor(v.pitch, bitrate) as Partial<PitchTuning> };
          const key = JSON.stringify(enc);
          let bits = streams.get(key);
          if (!bits) {
            bits = encodeSpeech(model, ref, bitrate, 16000, undefined, enc);
            streams.set(key, bits);
          }
          const frames = readHeader(bits).header.frameCount;
          for (const cond of input.losses) {
            const lost = cond.loss ? lossMask(fileLossSpec(cond.loss, path.relative(input.root, file)), frames) : undefined;
            const out = decodeSpeech(model, bits, lost, settingsFor(v.dec, bitrate) as Partial<DecoderTuning>, settingsFor(v.plc, bitrate) as Partial<ConcealmentTuning>).samples;
            const r = scorePair(ref, out, 16000);
            emit({ type: 'score', score: { file, bitrate, loss: cond.name, variant: v.name, pesq: r.pesq, stoi: r.stoi, psnr: r.psnr } });
          }
        }
      }
    } catch (err) {
      emit({ type: 'error', file, message: (err as Error).message });
    }
  }
}

async function main(): Promise<void> {
  const root = packageRoot();
  const o = new Command()
    .option('--data <dir>', 'speech folder', path.resolve(root, '..', 'shared', 'speech', 'LibriSpeech', 'test-other'))
    .option('--every <k>', 'every k-th file', (v) => Number(v), 5)
    .option('--offset <i>', 'start at file i of each group of k', (v) => Number(v), 0)
    .option('--limit <n>', 'at most N files', (v) => Number(v))
    .option('--bitrates <list>', 'comma-separated modes', '8k,13.2k,32k')
    .option('--variants <list>', "';'-separated variants (see the file header)", 'base')
    .option('--workers <n>', 'worker threads (the machine is shared: keep it small)', (v) => Number(v), 1)
    .option('--tag <name>', 'write quality-pesq-<tag>.json')
    .option('--loss <list>', "loss conditions: 'clean', a random-loss rate (0.03) or bN (bursty, mean 3 frames)", 'clean')
    .parse(process.argv)
    .opts<{ data: string; every: number; offset: number; limit?: number; bitrates: string; variants: string; workers: number; tag?: string; loss: string }>();
  const losses: LossCondition[] = o.loss.split(',').map((t) => {
    const x = t.trim();
    if (x === 'clean') return { name: 'clean', loss: null };
    const burst = x.startsWith('b');
    const rate = Number(burst ? x.slice(1) : x);
    if (!(rate > 0 && rate < 1)) throw new Error(`bad loss condition '${x}'`);
    return { name: `${burst ? 'burst ' : ''}${Math.round(rate * 100)}%`, loss: burst ? { rate, meanBurst: 3, seed: 1 } : { rate, seed: 1 } };
  });
  const bitrates = o.bitrates === 'all' ? [...BITRATES] : o.bitrates.split(',').map(parseBitrate);
  const variants = o.variants.split(';').map(parseVariant);
  let files = (await scanAudioFolders([o.data])).filter((_, i) => i % o.every === o.offset);
  if (o.limit) files = files.slice(0, o.limit);
  const workers = Math.max(1, Math.min(o.workers, files.length));
  process.stderr.write(`quality-pesq: ${files.length} files × ${bitrates.length} modes × ${variants.length} variants, ${workers} worker(s)\n`);
  const t0 = performance.now();
  const scores: Score[] = [];
  const errors: string[] = [];
  const onMessage = (m: Message): void => {
    if (m.type === 'score') scores.push(m.score);
    else errors.push(`${m.file}: ${m.message}`);
  };
  const self = fileURLToPath(import.meta.url);
  await runFileWorkers(self, workers, (w): WorkerInput => ({ files: files.filter((_, i) => i % workers === w), root: o.data, bitrates, variants, losses }), onMessage);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const rows: Array<{ bitrate: Bitrate; loss: string; variant: string; pesq: number; stoi: number; psnr: number; files: number }> = [];
  const withLoss = losses.length > 1 || losses[0].loss !== null;
  const lines = [
    `| kbit/s |${withLoss ? ' loss |' : ''} variant | PESQ | ΔPESQ | STOI | ΔSTOI | pSNR | ΔpSNR |`,
    `|---|${withLoss ? '---|' : ''}---|---|---|---|---|---|---|`,
  ];
  for (const bitrate of bitrates) {
    for (const cond of losses) {
      let base: { pesq: number; stoi: number; psnr: number } | null = null;
      for (const v of variants) {
        const sel = scores.filter((s) => s.bitrate === bitrate && s.loss === cond.name && s.variant === v.name);
        const r = { bitrate, loss: cond.name, variant: v.name, pesq: mean(sel.map((s) => s.pesq)), stoi: mean(sel.map((s) => s.stoi)), psnr: mean(sel.map((s) => s.psnr)), files: sel.length };
        rows.push(r);
        base ??= r;
        const d = (a: number, b: number, f: number): string => `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(f)}`;
        lines.push(`| ${bitrate / 1000} |${withLoss ? ` ${cond.name} |` : ''} ${v.name} | ${r.pesq.toFixed(3)} | ${d(r.pesq, base.pesq, 3)} | ${r.stoi.toFixed(4)} | ${d(r.stoi, base.stoi, 4)} | ${r.psnr.toFixed(2)} | ${d(r.psnr, base.psnr, 2)} |`);
      }
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (errors.length) process.stdout.write(`${errors.length} failure(s):\n  ${errors.join('\n  ')}\n`);
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(`wall time ${wall.toFixed(1)} s\n`);
  const outDir = path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const result = {
    bench: 'quality-pesq', date: new Date().toISOString(), data: path.relative(root, o.data), every: o.every, offset: o.offset, files: files.map((f) => path.basename(f)),
    losses, variants, wallSeconds: wall, means: rows, perFile: scores.map((s) => ({ ...s, file: path.basename(s.file) })), errors,
  };
  await writeFileAtomic(path.join(outDir, `quality-pesq${o.tag ? `-${o.tag}` : ''}.json`), JSON.stringify(result, null, 1) + '\n');
  if (errors.length) process.exitCode = 1;
}

benchEntry('quality-pesq', main, scoreFiles);
