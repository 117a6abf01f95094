/**
 * All metrics of DESIGN §4 for one reference/degraded pair: align (±40 ms cross-correlation
 * lag, no gain matching), put the degraded signal on the reference's time axis (applyLag,
 * 'reference' edges), then pSNR, STOI and ESTOI; and WB-PESQ, which does its own level and
 * time alignment (P.862) and so gets the signals as they were given.
 */
import { UserError } from '../errors.js';
import { applyLag, findLag } from './align.js';
import { PSNR_SAMPLE_RATE, psnr } from './psnr.js';
import { pesqWb } from './pesq.js';
import { estoiFromEnvelopes, stoiEnvelopes, stoiFromEnvelopes } from './stoi.js';

export interface MetricResult {
  /** Degraded sample n + lag matches reference sample n. */
  lag: number;
  psnr: number;
  stoi: number;
  estoi: number;
  /** WB-PESQ (ITU-T P.862.2) MOS-LQO, 1.04 … 4.64. */
  pesq: number;
}

/**
 * Score `deg` against `ref`, both at `sampleRate` (16 kHz: pSNR is defined there; resample
 * first otherwise). Files of different lengths are compared over the shorter length.
 * Throws UserError for a silent reference, non-finite samples, input too short for STOI or
 * PESQ (0.25 s), or a reference in which PESQ finds no speech.
 */
export function scorePair(ref: Float32Array, deg: Float32Array, sampleRate: number): MetricResult {
  if (sampleRate !== PSNR_SAMPLE_RATE) {
    throw new UserError(`metrics are defined at ${PSNR_SAMPLE_RATE} Hz; got ${sampleRate} Hz (resample first)`);
  }
  for (const [name, x] of [['reference', ref], ['degraded', deg]] as const) {
    if (x.length === 0) throw new UserError(`the ${name} signal is empty`);
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new UserError(`the ${name} signal has a non-finite sample at ${i}`);
    }
  }
  let peak = 0;
  for (let i = 0; i < ref.length; i++) peak = Math.max(peak, Math.abs(ref[i]));
  if (peak === 0) throw new UserError('the reference signal is silent (all samples are zero)');
  const lag = findLag(ref, deg, sampleRate);
  const aligned = applyLag(ref, deg, lag);
  const env = stoiEnvelopes(aligned.ref, aligned.deg, sampleRate);
  return {
    lag,
    psnr: psnr(aligned.ref, aligned.deg),
    stoi: stoiFromEnvelopes(env),
    estoi: estoiFromEnvelopes(env),
    pesq: pesqWb(ref, deg, sampleRate),
  };
}
