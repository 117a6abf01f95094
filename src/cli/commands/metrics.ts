import type { Command } from 'commander';
import type { MetricResult } from '../../eval/metrics.js';
import { runAction } from '../run-action.js';

const RATE = 16000;

interface MetricsOptions {
  json?: boolean;
}

/** The JSON object `metrics --json` prints. */
export interface MetricsReport extends MetricResult {
  reference: string;
  degraded: string;
  sampleRate: number;
  lagMs: number;
  /** Seconds compared: the shorter file's length at 16 kHz. */
  seconds: number;
  referenceOriginalRate: number;
  degradedOriginalRate: number;
}

export function formatMetrics(r: MetricsReport): string {
  return [
    `reference: ${r.reference} (${r.referenceOriginalRate} Hz)`,
    `degraded:  ${r.degraded} (${r.degradedOriginalRate} Hz)`,
    `compared:  ${r.seconds.toFixed(3)} s at ${r.sampleRate} Hz`,
    `lag:       ${r.lag} samples (${r.lagMs.toFixed(3)} ms; degraded sample n+lag matches reference sample n)`,
    `pSNR:      ${r.psnr.toFixed(4)} dB`,
    `STOI:      ${r.stoi.toFixed(6)}`,
    `ESTOI:     ${r.estoi.toFixed(6)}`,
    `WB-PESQ:   ${r.pesq.toFixed(3)} (P.862.2 MOS-LQO; aligned by PESQ itself)`,
  ].join('\n') + '\n';
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('score a degraded file against a reference: alignment lag, pSNR, STOI, ESTOI and WB-PESQ')
    .addHelpText('after', `
Both files are decoded, downmixed to mono and resampled to 16 kHz with the project's resampler
(the rate all the metrics are defined at). pSNR, STOI and ESTOI are computed after aligning the
degraded file by the cross-correlation lag (within ±40 ms) shown; WB-PESQ (ITU-T P.862 with the
P.862.2 wideband extension, reported as MOS-LQO from 1.04 to 4.64) aligns the two files itself,
utterance by utterance, and so takes them as they are. PESQ needs at least 0.25 s of audio and
speech in the reference; otherwise the command fails with a one-line error.`)
    .argument('<reference>', 'reference audio file')
    .argument('<degraded>', 'degraded (decoded) audio file')
    .option('--json', 'print JSON')
    .action(runAction(async (reference: string, degraded: string, opts: MetricsOptions) => {
      // Both are decoded, downmixed and resampled to 16 kHz; scorePair aligns them and compares
      // the shorter length (DESIGN §4). Loaded here so other commands do not pay for them.
      const [{ loadSpeech }, { scorePair }] = await Promise.all([import('../../audio/load.js'), import('../../eval/metrics.js')]);
      const ref = await loadSpeech(reference, RATE);
      const deg = await loadSpeech(degraded, RATE);
      const m = scorePair(ref.samples, deg.samples, RATE);
      const report: MetricsReport = {
        reference,
        degraded,
        sampleRate: RATE,
        ...m,
        lagMs: (1000 * m.lag) / RATE,
        seconds: Math.min(ref.samples.length, deg.samples.length) / RATE,
        referenceOriginalRate: ref.originalRate,
        degradedOriginalRate: deg.originalRate,
      };
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatMetrics(report));
    }));
}
