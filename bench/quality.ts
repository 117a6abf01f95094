/**
 * Quality bench (issue 5 "Done when"): every test-other file at each bitrate goes through
 * encodeSpeech → decodeSpeech with the shipped model and is scored with the project's metrics
 * (scorePair: align, then pSNR / STOI / ESTOI, DESIGN §4). Prints mean and 2.5/97.5 %
 * quantiles per rate beside the issue's targets; writes bench/results/quality.json and .md.
 *
 *   npm run bench:quality [-- --limit N --every K --bitrates 8000,13.2k --workers 2 --model DIR
 *                             --stages 8000=3,9600=3 --tag NAME --data DIR --without-entropy-model]
 *
 * --stages overrides the model's stage table in memory (for choosing stage counts per mode);
 * --tag writes quality-<tag>.json/.md instead, so experiments do not overwrite the main result.
 * --without-entropy-model drops the model's learned entropy model (θ) in memory, to measure what
 * it buys (the stream header still names the same model id).
 * Files are spread over worker threads (default: all cores); each worker scores whole files.
 */
import { benchEntry, runFileWorkers } from './file-workers.js';
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BITRATES, type Bitrate, parseBitrate } from '../src/coding/modes.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { scorePair } from '../src/eval/metrics.js';
import { loadSpeech } from '../src/audio/load.js';
import { type CodecModel, loadModel, packageRoot } from '../src/model/codec-model.js';
import { scanAudioFolders } from '../src/audio/scan.js';
import { summarize, type Summary } from '../src/eval/quantiles.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

/** Issue 5's quality bar: the prototype's numbers less a small margin. */
const TARGETS: Record<Bitrate, { stoi: number; psnr: number }> = {
  8000: { stoi: 0.925, psnr: 5.0 },
  9600: { stoi: 0.94, psnr: 5.6 },
  13200: { stoi: 0.96, psnr: 6.8 },
  16400: { stoi: 0.97, psnr: 7.8 },
  24400: { stoi: 0.985, psnr: 10.2 },
  32000: { stoi: 0.99, psnr: 12.5 },
};

interface WorkerInput { files: string[]; bitrates: Bitrate[]; modelDir?: string; stages: Record<string, number>; withoutEntropyModel: boolean }
interface FileScore { file: string; bitrate: Bitrate; stoi: number; estoi: number; psnr: number; lag: number; seconds: number }
type WorkerMessage = { type: 'score'; score: FileScore } | { type: 'error'; file: string; message: string };

function modelWithStages(dir: string | undefined, stages: Record<string, number>, withoutEntropyModel = false): CodecModel {
  const loaded = loadModel(dir);
  const m: CodecModel = withoutEntropyModel ? { ...loaded, entropyModel: undefined } : loaded;
  return Object.keys(stages).length ? { ...m, stagesPerMode: { ...m.stagesPerMode, ...stages } } : m;
}

async function scoreFiles(input: WorkerInput, emit: (m: WorkerMessage) => void): Promise<void> {
  const model = modelWithStages(input.modelDir, input.stages, input.withoutEntropyModel);
  for (const file of input.files) {
    try {
      const ref = (await loadSpeech(file, 16000)).samples;
      for (const bitrate of input.bitrates) {
        const t0 = performance.now();
        const bits = encodeSpeech(model, ref, bitrate, 16000);
        const { samples } = decodeSpeech(model, bits);
        const seconds = (performance.now() - t0) / 1000;
        const r = scorePair(ref, samples, 16000);
        emit({ type: 'score', score: { file, bitrate, stoi: r.stoi, estoi: r.estoi, psnr: r.psnr, lag: r.lag, seconds } });
      }
    } catch (err) {
      emit({ type: 'error', file, message: (err as Error).message });
    }
  }
}

interface RateSummary { bitrate: Bitrate; stages: number; files: number; stoi: Summary; estoi: Summary; psnr: Summary; maxAbsLag: number; target: { stoi: number; psnr: number }; meetsTarget: boolean }

function parseStages(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const part of text.split(',')) {
    const [rate, n] = part.split('=');
    out[String(parseBitrate(rate))] = Number(n);
  }
  return out;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const program = new Command()
    .option('--data <dir>', 'test folder', path.resolve(root, '..', 'shared', 'speech', 'LibriSpeech', 'test-other'))
    .option('--limit <n>', 'use only the first N files', (v) => Number(v))
    .option('--every <k>', 'use every k-th file (a subset spread over all speakers)', (v) => Number(v))
    .option('--bitrates <list>', 'comma-separated bitrates (default all six)')
    .option('--model <dir>', 'model folder (default: shipped codec/)')
    .option('--stages <list>', 'override stage counts, e.g. 8000=3,9600=3')
    .option('--workers <n>', 'worker threads', (v) => Number(v), availableParallelism())
    .option('--tag <name>', 'write quality-<tag>.json/.md')
    .option('--without-entropy-model', "ignore the model's learned entropy model (θ)")
    .parse(process.argv);
  const o = program.opts<{ data: string; every?: number; limit?: number; bitrates?: string; model?: string; stages?: string; workers: number; tag?: string; withoutEntropyModel?: boolean }>();
  const withoutEntropyModel = o.withoutEntropyModel === true;
  const bitrates: Bitrate[] = o.bitrates ? o.bitrates.split(',').map(parseBitrate) : [...BITRATES];
  const stages = parseStages(o.stages);
  let files = await scanAudioFolders([o.data]);
  if (o.every && o.every > 1) files = files.filter((_, i) => i % o.every! === 0);
  if (o.limit) files = files.slice(0, o.limit);
  const model = modelWithStages(o.model, stages, withoutEntropyModel);
  const workers = Math.max(1, Math.min(o.workers, files.length));
  process.stderr.write(`quality: ${files.length} files × ${bitrates.length} rates, model ${model.id}, ${workers} worker(s)\n`);

  const t0 = performance.now();
  const scores: FileScore[] = [];
  const errors: Array<{ file: string; message: string }> = [];
  const onMessage = (m: WorkerMessage): void => {
    if (m.type === 'score') {
      scores.push(m.score);
      if (process.stderr.isTTY) process.stderr.write(`\r${scores.length}/${files.length * bitrates.length} scored`);
    } else {
      errors.push({ file: m.file, message: m.message });
    }
  };
  const self = fileURLToPath(import.meta.url);
  await runFileWorkers(self, workers, (w): WorkerInput => ({ files: files.filter((_, i) => i % workers === w), bitrates, modelDir: o.model, stages, withoutEntropyModel }), onMessage);
  if (process.stderr.isTTY) process.stderr.write('\n');
  const wall = (performance.now() - t0) / 1000;

  const summaries: RateSummary[] = bitrates.map((bitrate) => {
    const rows = scores.filter((s) => s.bitrate === bitrate);
    const stoi = summarize(rows.map((r) => r.stoi));
    const psnr = summarize(rows.map((r) => r.psnr));
    const target = TARGETS[bitrate];
    return {
      bitrate, stages: model.stagesPerMode[String(bitrate)], files: rows.length, stoi, estoi: summarize(rows.map((r) => r.estoi)), psnr,
      maxAbsLag: Math.max(0, ...rows.map((r) => Math.abs(r.lag))), target, meetsTarget: stoi.mean >= target.stoi && psnr.mean >= target.psnr,
    };
  });

  const f3 = (v: number): string => v.toFixed(3);
  const f2 = (v: number): string => v.toFixed(2);
  const lines = [
    `| kbit/s | stages | STOI mean [2.5%, 97.5%] | target | ESTOI mean [2.5%, 97.5%] | pSNR dB mean [2.5%, 97.5%] | target | meets |`,
    `|---|---|---|---|---|---|---|---|`,
    ...summaries.map((s) => `| ${s.bitrate / 1000} | ${s.stages} | ${f3(s.stoi.mean)} [${f3(s.stoi.q025)}, ${f3(s.stoi.q975)}] | ≥ ${f3(s.target.stoi)} | ${f3(s.estoi.mean)} [${f3(s.estoi.q025)}, ${f3(s.estoi.q975)}] | ${f2(s.psnr.mean)} [${f2(s.psnr.q025)}, ${f2(s.psnr.q975)}] | ≥ ${s.target.psnr.toFixed(1)} | ${s.meetsTarget ? 'yes' : 'NO'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (errors.length) process.stdout.write(`${errors.length} file(s) failed:\n${errors.map((e) => `  ${e.file}: ${e.message}`).join('\n')}\n`);
  process.stdout.write(`wall time ${wall.toFixed(1)} s\n`);

  const name = o.tag ? `quality-${o.tag}` : 'quality';
  const outDir = path.join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const result = {
    bench: 'quality', date: new Date().toISOString(), data: path.relative(root, o.data), files: files.length, every: o.every ?? 1, limit: o.limit ?? null, modelId: model.id,
    stagesPerMode: model.stagesPerMode, stagesOverride: stages, entropyModel: model.entropyModel?.kind ?? null, workers, wallSeconds: wall, summaries, errors,
    perFile: scores.sort((a, b) => (a.file === b.file ? a.bitrate - b.bitrate : a.file < b.file ? -1 : 1)).map((s) => ({ ...s, file: path.relative(root, s.file) })),
  };
  await writeFileAtomic(path.join(outDir, `${name}.json`), JSON.stringify(result, null, 1) + '\n');
  const md = [
    `# Quality on ${path.basename(o.data)} (${files.length} files)`,
    '',
    `Model \`${model.id}\`${Object.keys(stages).length ? ` with stage override ${JSON.stringify(stages)}` : ''}${withoutEntropyModel ? ' without its learned entropy model' : ''}; ${new Date().toISOString()}; `
      + `encodeSpeech → decodeSpeech → scorePair (project metrics, aligned, no gain matching). Targets: issue 5.`,
    '',
    ...lines,
    '',
  ].join('\n');
  await writeFileAtomic(path.join(outDir, `${name}.md`), md);
  if (errors.length) process.exitCode = 1;
}

benchEntry('quality', main, scoreFiles);
