/**
 * Build the shipped default model (issue 5): residual k-means MSVQ codebooks on envelope
 * vectors of LibriSpeech train-clean-100, default envelope matrices A and B (DESIGN §1).
 *
 *   npm run build:model [-- --data DIR... --out DIR --stages 5 --bits 12 --iterations 10
 *                          --seed 1 --modes 8000=2,9600=2,... --notes notes.json]
 *
 * Steps: scan → MDCT frames (cached, src/train/features.ts) → keep active frames (frame energy
 * within 60 dB of the file's loudest frame and above an absolute floor) → e = log(A·X² + ε) →
 * residual k-means (src/vq/residual-kmeans.ts) → write codec/model.nsvqm, model-card.json and
 * MODEL_CARD.md. Deterministic for a given seed and data (worker count does not matter).
 */
import path from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import {
  type CodecModel, ENVELOPE_FLOOR, MODEL_FILE_NAME, loadModel, modelIdOf, packageRoot, parseModel, serializeModel,
} from '../model/codec-model.js';
import { defaultAnalysisMatrix, defaultSynthesisMatrix } from '../model/default-envelope.js';
import { activeFrames, datasetFeatures, defaultCacheDir, envelopeVectors } from './features.js';
import { scanAudioFolders } from '../audio/scan.js';
import { trainResidualKMeans } from '../vq/residual-kmeans.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { UserError } from '../errors.js';

const BINS = 320;
const BANDS = 16;
/** DESIGN §1 prototype: 2/2/3/3/4/4 stages for 8 … 32 kbit/s. */
export const DEFAULT_STAGES_PER_MODE: Record<string, number> = { 8000: 2, 9600: 2, 13200: 3, 16400: 3, 24400: 4, 32000: 4 };

interface Options {
  data: string[];
  out: string;
  stages: number;
  bits: number;
  iterations: number;
  tolerance: number;
  seed: number;
  workers: number;
  rangeDb: number;
  modes: string;
  cacheDir: string;
  notes?: string;
  maxFrames?: number;
  retable?: string;
  attachQuality?: string;
}

function parseModes(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UserError(`bad --modes entry "${part}" (expected RATE=STAGES, e.g. 8000=2)`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function bar(label: string): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY) return null;
  return new cliProgress.SingleBar({ stream: process.stderr, format: `${label} [{bar}] {value}/{total} {info} | ETA {eta_formatted}`, hideCursor: true }, cliProgress.Presets.shades_classic);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const shared = path.resolve(root, '..', 'shared', 'speech');
  const program = new Command()
    .description('build the residual-k-means default model')
    .option('--data <dirs...>', 'training audio folders', [path.join(shared, 'LibriSpeech', 'train-clean-100')])
    .option('--out <dir>', 'model output folder', path.join(root, 'codec'))
    .option('--stages <n>', 'MSVQ stages to train', (v) => Number(v), 5)
    .option('--bits <n>', 'bits per stage', (v) => Number(v), 12)
    .option('--iterations <n>', 'Lloyd iteration cap per stage', (v) => Number(v), 10)
    .option('--tolerance <x>', 'stop a stage when an iteration improves less than this (relative)', (v) => Number(v), 1e-3)
    .option('--seed <n>', 'RNG seed', (v) => Number(v), 1)
    .option('--workers <n>', 'search threads', (v) => Number(v), availableParallelism())
    .option('--range-db <dB>', 'keep frames within this many dB of the file\'s loudest frame', (v) => Number(v), 60)
    .option('--modes <list>', 'stage count per mode', Object.entries(DEFAULT_STAGES_PER_MODE).map(([r, s]) => `${r}=${s}`).join(','))
    .option('--cache-dir <dir>', 'feature cache folder', defaultCacheDir())
    .option('--notes <file>', 'JSON object merged into the model card (e.g. how the stage table was chosen)')
    .option('--max-frames <n>', 'use at most N frames (evenly strided) — for quick trials', (v) => Number(v))
    .option('--retable <model>', 'no training: copy this model with the --modes stage table and --notes merged into its card')
    .option('--attach-quality <json>', 'no training: add a bench:quality result to model-card.json and MODEL_CARD.md in --out (model.nsvqm and its id unchanged)')
    .parse(process.argv);
  const o = program.opts<Options>();
  const t0 = performance.now();
  const stagesPerMode = parseModes(o.modes);
  for (const [rate, st] of Object.entries(stagesPerMode)) {
    if (!o.retable && (st < 1 || st > o.stages)) throw new UserError(`--modes gives ${rate} ${st} stages, but --stages is ${o.stages}`);
  }
  const notes = o.notes ? (JSON.parse(readFileSync(o.notes, 'utf8')) as Record<string, unknown>) : {};
  if (o.attachQuality) {
    await attachQuality(o.out, o.attachQuality);
    return;
  }
  if (o.retable) {
    await retable(o.retable, o.out, stagesPerMode, notes);
    return;
  }

  // 1. Features.
  const files = await scanAudioFolders(o.data);
  if (files.length === 0) throw new UserError(`no audio files under ${o.data.join(', ')}`);
  process.stderr.write(`build:model: ${files.length} files; feature cache ${o.cacheDir}\n`);
  const fb = bar('features');
  fb?.start(files.length, 0, { info: '' });
  const ds = await datasetFeatures(files, { cacheDir: o.cacheDir, onFile: (done, _t, file) => fb?.update(done, { info: path.basename(file) }) });
  fb?.stop();
  for (const f of ds.failed) process.stderr.write(`  skipped ${f.file}: ${f.error}\n`);
  const tFeatures = (performance.now() - t0) / 1000;

  // 2. Envelope vectors of active frames under the default A.
  const analysis = defaultAnalysisMatrix(BINS, BANDS);
  const synthesis = defaultSynthesisMatrix(BINS, BANDS);
  const envModel = { id: '', bins: BINS, bands: BANDS, analysis, synthesis, stageBits: o.bits, codebooks: [], stagesPerMode } as CodecModel;
  let totalFrames = 0;
  const parts: Float32Array[] = [];
  for (const f of ds.features) {
    totalFrames += f.frames;
    parts.push(envelopeVectors(envModel, f, activeFrames(f, o.rangeDb)));
  }
  let n = parts.reduce((a, p) => a + p.length / BANDS, 0);
  const activeCount = n;
  let data = new Float32Array(n * BANDS);
  let off = 0;
  for (const p of parts) { data.set(p, off); off += p.length; }
  if (o.maxFrames && n > o.maxFrames) {
    const stride = n / o.maxFrames;
    const sub = new Float32Array(o.maxFrames * BANDS);
    for (let i = 0; i < o.maxFrames; i++) sub.set(data.subarray(Math.floor(i * stride) * BANDS, Math.floor(i * stride) * BANDS + BANDS), i * BANDS);
    data = sub;
    n = o.maxFrames;
  }
  process.stderr.write(`build:model: ${totalFrames} frames, ${activeCount} active (${(100 * activeCount / totalFrames).toFixed(1)}%), training on ${n}; features took ${tFeatures.toFixed(1)} s (${ds.cacheHits} cache hits)\n`);

  // 3. Residual k-means.
  const kb = bar('k-means');
  kb?.start(o.stages * o.iterations, 0, { info: '' });
  let ticks = 0;
  const res = await trainResidualKMeans(data, n, BANDS, {
    stages: o.stages, bits: o.bits, maxIterations: o.iterations, tolerance: o.tolerance, seed: o.seed, workers: o.workers,
    onIteration: (i) => {
      ticks++;
      const info = `stage ${i.stage + 1} it ${i.iteration + 1} D=${i.distortion.toFixed(4)}${i.reseeded ? ` reseed ${i.reseeded}` : ''}`;
      if (kb) kb.update(Math.max(ticks, i.stage * o.iterations + i.iteration + 1), { info });
      else if (i.iteration % 5 === 0) process.stderr.write(`  ${info}\n`);
    },
  });
  kb?.update(o.stages * o.iterations);
  kb?.stop();

  // 4. Per-stage figures on the training data (the trainer's residuals are the greedy MSVQ's).
  const perStage = res.stages.map((s) => ({
    stage: s.stage + 1, iterations: s.iterations, meanSquaredError: s.distortion, envelopeLsdDb: (10 / Math.LN10) * s.meanRms,
    perplexity: s.perplexity, unusedCodewords: s.unused, reseeded: s.reseeded,
  }));
  const wallSeconds = (performance.now() - t0) / 1000;

  // 5. Model and card.
  const card: Record<string, unknown> = {
    name: 'nsvq-codec default model (residual k-means)',
    kind: 'residual-kmeans',
    created: new Date().toISOString(),
    howMade: 'Envelope vectors e = log(A·X² + ε) of active MDCT frames; each MSVQ stage trained by Lloyd k-means on the residual of the previous stages (greedy sequential MSVQ); A = 16 equal 500 Hz bands averaging X², B = linear interpolation between band centres. No NSVQ training (that is issue 6).',
    data: {
      folders: o.data.map((d) => path.relative(root, path.resolve(d))),
      files: ds.features.length,
      skippedFiles: ds.failed.length,
      frames: totalFrames,
      activeFrames: activeCount,
      trainingVectors: n,
      silenceRule: `keep frames whose energy ΣX² exceeds max(file's loudest frame − ${o.rangeDb} dB, 1e-7·320)`,
      resampling: 'loadSpeech: mono downmix, resampled to 16 kHz',
    },
    envelope: { bins: BINS, bands: BANDS, analysis: 'default (16 × 500 Hz band means)', synthesis: 'default (linear interpolation between band centres, flat at the edges)', epsilon: ENVELOPE_FLOOR },
    settings: { stages: o.stages, bitsPerStage: o.bits, maxIterations: o.iterations, tolerance: o.tolerance, seed: o.seed, init: 'distinct random training vectors', emptyClusters: 'reseeded ∝ squared error (k-means++ rule)', workers: o.workers },
    stagesPerMode,
    perStage,
    initialMeanSquaredNorm: res.initialDistortion,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    command: `node dist/src/train/build-default-model.js ${process.argv.slice(2).join(' ')}`.trim(),
    ...notes,
  };
  const bytes = serializeModel({ bins: BINS, bands: BANDS, analysis, synthesis, stageBits: o.bits, codebooks: res.codebooks, stagesPerMode, card });
  await writeModelFolder(o.out, bytes, card);
}

/** Re-issue a trained model with another stage table (codebooks untouched, so no retraining). */
async function retable(from: string, out: string, stagesPerMode: Record<string, number>, notes: Record<string, unknown>): Promise<void> {
  const old = loadModel(from); // a model folder or file; a clear UserError if missing or corrupt
  const card: Record<string, unknown> = { ...(old.card ?? {}), ...notes, stagesPerMode, retabledFrom: old.id, retabled: new Date().toISOString() };
  const { id: _oldId, ...rest } = old;
  const bytes = serializeModel({ ...rest, stagesPerMode, card });
  if (Array.isArray(card.perStage)) {
    await writeModelFolder(out, bytes, card);
    return;
  }
  // A model from `nsvq-codec train`: its card has the trainer's schema, so render it with the
  // trainer's card writer and append what re-tabling added.
  const { modelCardMarkdown } = await import('./run-training.js');
  const id = modelIdOf(bytes);
  const extra = Object.entries(notes).map(([k, v]) => `- **${k}:** ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const markdown = modelCardMarkdown(id, card as Parameters<typeof modelCardMarkdown>[1]) + [
    '', '## Shipped stage table', '',
    ...stageTableMarkdown(stagesPerMode),
    '', `Re-tabled from model \`${old.id}\` (same parameters, new stage table and card).`, '',
    ...(extra.length ? ['## Notes', '', ...extra, ''] : []),
  ].join('\n');
  await writeModelFolder(out, bytes, card, markdown);
}

/**
 * Measured quality belongs in the card, but putting it inside model.nsvqm would change the id
 * the measurement was made with. So it goes into model-card.json and MODEL_CARD.md only.
 */
async function attachQuality(out: string, qualityFile: string): Promise<void> {
  const bytes = readFileSync(path.join(out, MODEL_FILE_NAME));
  const model = parseModel(bytes);
  const q = JSON.parse(readFileSync(qualityFile, 'utf8')) as {
    modelId: string; date: string; data: string; files: number; stagesOverride: Record<string, number>;
    summaries: Array<{ bitrate: number; stages: number; stoi: { mean: number; q025: number; q975: number }; estoi: { mean: number }; psnr: { mean: number; q025: number; q975: number } }>;
  };
  if (q.modelId !== model.id) throw new UserError(`${qualityFile} was measured with model ${q.modelId}, but ${out} holds ${model.id}`);
  if (Object.keys(q.stagesOverride ?? {}).length) throw new UserError(`${qualityFile} used a stage override; measure the shipped table`);
  const table = [
    '| kbit/s | stages | mean STOI [2.5%, 97.5%] | mean ESTOI | mean pSNR dB [2.5%, 97.5%] |',
    '|---|---|---|---|---|',
    ...q.summaries.map((r) => `| ${r.bitrate / 1000} | ${r.stages} | ${r.stoi.mean.toFixed(3)} [${r.stoi.q025.toFixed(3)}, ${r.stoi.q975.toFixed(3)}] | ${r.estoi.mean.toFixed(3)} | ${r.psnr.mean.toFixed(2)} [${r.psnr.q025.toFixed(2)}, ${r.psnr.q975.toFixed(2)}] |`),
  ].join('\n');
  const source = `Measured ${q.date} by \`npm run bench:quality\` on ${q.files} files of ${q.data} (encodeSpeech → decodeSpeech → the project's scorePair). `
    + 'Not stored inside model.nsvqm (that would change the id).';
  const card: Record<string, unknown> = { ...(model.card ?? {}), quality: { source, table, summaries: q.summaries } };
  await writeFileAtomic(path.join(out, 'model-card.json'), JSON.stringify({ id: model.id, ...card }, null, 2) + '\n');
  await writeFileAtomic(path.join(out, 'MODEL_CARD.md'), cardMarkdown(model.id, bytes.length, card, card.perStage as Array<Record<string, number>>));
  process.stderr.write(`build:model: attached ${qualityFile} to the card of ${model.id}\n`);
}

async function writeModelFolder(out: string, bytes: Uint8Array, card: Record<string, unknown>, markdown?: string): Promise<void> {
  parseModel(bytes); // never ship a file the reader refuses
  mkdirSync(out, { recursive: true });
  const id = modelIdOf(bytes);
  await writeFileAtomic(path.join(out, MODEL_FILE_NAME), bytes);
  await writeFileAtomic(path.join(out, 'model-card.json'), JSON.stringify({ id, ...card }, null, 2) + '\n');
  await writeFileAtomic(path.join(out, 'MODEL_CARD.md'), markdown ?? cardMarkdown(id, bytes.length, card, card.perStage as Array<Record<string, number>>));
  process.stderr.write(`build:model: wrote ${path.join(out, MODEL_FILE_NAME)} (${bytes.length} bytes, id ${id})\n`);
}

/** The stages-per-mode table of a model card (kbit/s across, stage counts below). */
function stageTableMarkdown(modes: Record<string, number>): string[] {
  return [
    `| kbit/s | ${Object.keys(modes).map((r) => Number(r) / 1000).join(' | ')} |`,
    `|---|${Object.keys(modes).map(() => '---').join('|')}|`,
    `| stages | ${Object.values(modes).join(' | ')} |`,
  ];
}

function cardMarkdown(id: string, size: number, card: Record<string, unknown>, perStage: Array<Record<string, number>>): string {
  const data = card.data as Record<string, unknown>;
  const settings = card.settings as Record<string, unknown>;
  const modes = card.stagesPerMode as Record<string, number>;
  const quality = card.quality as { table?: string; source?: string } | undefined;
  const choice = card.stageChoice as string | undefined;
  return [
    '# Model card: nsvq-codec default model (residual k-means)',
    '',
    `- **id** \`${id}\` (sha256 prefix of \`model.nsvqm\`, ${size} bytes); created ${String(card.created)}.`,
    `- **How made:** ${String(card.howMade)}`,
    `- **Data:** ${(data.folders as string[]).join(', ')} — ${String(data.files)} files (${String(data.skippedFiles)} skipped), ${String(data.frames)} frames of 20 ms, ${String(data.activeFrames)} active, ${String(data.trainingVectors)} used. Silence rule: ${String(data.silenceRule)}. ${String(data.resampling)}.`,
    `- **Settings:** ${String(settings.stages)} stages × ${String(settings.bitsPerStage)} bits, ≤ ${String(settings.maxIterations)} Lloyd iterations per stage (tolerance ${String(settings.tolerance)}), seed ${String(settings.seed)}, init: ${String(settings.init)}, empty clusters: ${String(settings.emptyClusters)}.`,
    `- **Envelope:** ε = ${String((card.envelope as Record<string, unknown>).epsilon)} in e = log(A·X² + ε); A and B are the defaults (not trained).`,
    `- **Wall time:** ${String(card.wallSeconds)} s on a shared 2-core machine. Command: \`${String(card.command)}\`.`,
    '',
    '## Per stage (training data)',
    '',
    `| stages | Lloyd iterations | mean ‖e − ê‖² | envelope LSD dB | perplexity (of ${2 ** Number(settings.bitsPerStage)}) | unused codewords |`,
    '|---|---|---|---|---|---|',
    ...perStage.map((s) => `| ${s.stage} | ${s.iterations} | ${s.meanSquaredError.toFixed(4)} | ${s.envelopeLsdDb.toFixed(3)} | ${s.perplexity.toFixed(0)} | ${s.unusedCodewords} |`),
    '',
    '## Stages per mode',
    '',
    ...stageTableMarkdown(modes),
    '',
    choice ?? (JSON.stringify(modes) === JSON.stringify(DEFAULT_STAGES_PER_MODE)
      ? 'Stage table: the DESIGN §1 prototype choice (2/2/3/3/4/4), not yet re-measured with this model.'
      : 'Stage table: given on the command line (--modes).'),
    '',
    ...(quality?.table ? ['## Measured quality', '', quality.source ?? '', '', quality.table, ''] : []),
  ].join('\n');
}

main().catch((err: unknown) => {
  if (err instanceof UserError) {
    process.stderr.write(`build:model: error: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`build:model: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 2;
  }
});
