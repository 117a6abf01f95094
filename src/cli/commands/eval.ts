import { InvalidArgumentError, type Command } from 'commander';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { runAction } from '../run-action.js';
import { lossSpecFromOptions, parseLossRate, parseMeanBurst } from '../loss-options.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

interface EvalCliOptions {
  data: string;
  out: string;
  model: string[];
  external: string[];
  bitrates: string;
  jobs?: number;
  limit?: number;
  externalTimeout?: number;
  loss?: string;
  lossSeed?: string;
  lossBurst?: string;
}

/** --loss '0.03,0.1' or '3%,10%' → [0.03, 0.1]. */
function parseLossList(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UserError(`--loss: no loss rate given in '${text}'`);
  return parts.map((p) => parseLossRate(p, '--loss'));
}

/** --loss-seed, checked the way `decode` checks it. */
function lossSeedOf(text: string): number {
  const spec = lossSpecFromOptions({ lossRate: '0', lossSeed: text });
  return spec && spec.kind === 'random' ? spec.seed : 1;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('encode, decode and score a dataset at every bitrate; write JSON, Markdown, CSV and SVG reports')
    .requiredOption('-d, --data <dir>', 'folder of audio files (wav, flac, ogg, mp3; scanned recursively)')
    .requiredOption('-o, --out <dir>', 'report folder (report.json, report.md, results.csv, pesq/psnr/stoi/estoi.svg)')
    .option('-m, --model <dir>', 'model folder, or NAME=DIR to label it; repeat to compare models (default: the shipped model, "default")', collect, [])
    .option('-b, --bitrates <list>', "'all' or a comma list, e.g. 8000,13.2k,32k", 'all')
    .option('-j, --jobs <n>', 'worker threads (default: available cores)', positiveInt('--jobs'))
    .option('-n, --limit <n>', 'evaluate only the first N files (sorted order)', positiveInt('--limit'))
    .option('-x, --external <spec>', "another codec, NAME='CMD {bitrate} {in} {out}' (also {kbps}, {tmp}); repeatable", collect, [])
    .option('--external-timeout <seconds>', 'kill an external command after this long', positiveInt('--external-timeout'), 300)
    .option('--loss <rates>', "also score each model under simulated packet loss with concealment, e.g. 0.03,0.1 (systems NAME@loss3%, ...)")
    .option('--loss-burst <frames>', 'bursty loss (Gilbert model) with this mean burst length instead of independent losses')
    .option('--loss-seed <n>', 'seed of the loss patterns (mixed with each file\'s path; default 1)')
    .addHelpText('after', `
Example (Opus from Debian's opus-tools, beside the shipped model):
  nsvq-codec eval -d speech/ -o report/ \\
    --external opus='opusenc --quiet --bitrate {kbps} --hard-cbr {in} x.opus && opusdec --quiet --rate 16000 x.opus {out}'`)
    .action(runAction(async (opts: EvalCliOptions) => {
      // Loaded here so other commands do not pay for the evaluation modules.
      const [{ runEval }, { findSummary }, { kbpsLabel }] = await Promise.all([
        import('../../eval/eval-run.js'),
        import('../../eval/report.js'),
        import('../../eval/report-format.js'),
      ]);
      const { report, written } = await runEval({
        dataDir: opts.data,
        outDir: opts.out,
        models: opts.model,
        externals: opts.external,
        bitrates: opts.bitrates,
        jobs: opts.jobs,
        limit: opts.limit,
        externalTimeoutMs: opts.externalTimeout !== undefined ? opts.externalTimeout * 1000 : undefined,
        lossRates: opts.loss !== undefined ? parseLossList(opts.loss) : undefined,
        lossBurst: opts.lossBurst !== undefined ? parseMeanBurst(opts.lossBurst) : undefined,
        lossSeed: opts.lossSeed !== undefined ? lossSeedOf(opts.lossSeed) : undefined,
      });
      const out: string[] = [];
      out.push(`scored ${report.filesScored}/${report.files} files, ${report.rows.length} round trips, ${report.errors.length} errors`);
      out.push(`mean WB-PESQ / STOI / pSNR dB per bitrate (kbit/s):`);
      out.push(['system', ...report.bitrates.map(kbpsLabel)].join('\t'));
      for (const s of report.systems) {
        const cells = report.bitrates.map((b) => {
          const pq = findSummary(report, s.name, b, 'pesq');
          const st = findSummary(report, s.name, b, 'stoi');
          const ps = findSummary(report, s.name, b, 'psnr');
          return pq && st && ps ? `${pq.mean.toFixed(2)}/${st.mean.toFixed(3)}/${ps.mean.toFixed(1)}` : '-';
        });
        out.push([s.name, ...cells].join('\t'));
      }
      out.push(`wrote ${written.map((p) => path.basename(p)).join(', ')} to ${path.resolve(opts.out)}`);
      process.stdout.write(`${out.join('\n')}\n`);
      if (report.filesScored === 0) {
        throw new UserError(`no file could be scored (${report.errors.length} errors; see ${path.join(opts.out, 'report.md')})`);
      }
    }));
}
