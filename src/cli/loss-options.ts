/**
 * The packet-loss simulation options shared by `decode` and `eval` (issue 14): parse the option
 * strings into a LossSpec (codec/loss-pattern.ts), with one-line UserErrors that name the option.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseLostFrames, validateLossSpec, type LossSpec } from '../codec/loss-pattern.js';

export interface LossCliOptions {
  lossRate?: string;
  lossSeed?: string;
  lossBurst?: string;
  lostFrames?: string;
}

/** '0.1', '10%' → 0.1. UserError naming `option` otherwise or outside [0, 1). */
export function parseLossRate(text: string, option: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d*)?|\.\d+)(%?)$/.exec(t);
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v >= 0 && v < 1)) throw new UserError(`${option} must be a loss rate in [0, 1) such as 0.1 or 10%, got '${text}'`);
  return v;
}

function parseSeed(text: string): number {
  const t = text.trim();
  const v = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(v) || v > 0xffffffff) throw new UserError(`--loss-seed must be an integer from 0 to 4294967295, got '${text}'`);
  return v;
}

export function parseMeanBurst(text: string): number {
  const t = text.trim();
  const v = /^\d+(?:\.\d*)?$/.test(t) ? Number(t) : NaN;
  if (!(v >= 1 && Number.isFinite(v))) throw new UserError(`--loss-burst must be a mean burst length in frames, a number ≥ 1, got '${text}'`);
  return v;
}

/** The loss the options ask for, or null for none. */
export function lossSpecFromOptions(o: LossCliOptions): LossSpec | null {
  if (o.lostFrames !== undefined) {
    if (o.lossRate !== undefined || o.lossBurst !== undefined || o.lossSeed !== undefined) {
      throw new UserError('--lost-frames cannot be combined with --loss-rate, --loss-burst or --loss-seed');
    }
    let text: string;
    try {
      text = readFileSync(o.lostFrames, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENOENT' ? `--lost-frames: no such file: ${o.lostFrames}` : `--lost-frames: cannot read ${o.lostFrames}: ${code ?? (err as Error).message}`);
    }
    return { kind: 'list', frames: parseLostFrames(text, o.lostFrames) };
  }
  if (o.lossRate === undefined) {
    if (o.lossBurst !== undefined) throw new UserError('--loss-burst needs --loss-rate (the overall loss rate)');
    if (o.lossSeed !== undefined) throw new UserError('--loss-seed needs --loss-rate');
    return null;
  }
  const rate = parseLossRate(o.lossRate, '--loss-rate');
  const seed = o.lossSeed !== undefined ? parseSeed(o.lossSeed) : 1;
  const spec: LossSpec = o.lossBurst !== undefined ? { kind: 'burst', rate, meanBurst: parseMeanBurst(o.lossBurst), seed } : { kind: 'random', rate, seed };
  validateLossSpec(spec);
  return spec;
}
