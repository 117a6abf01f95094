/**
 * Wideband PESQ: ITU-T P.862 with the P.862.2 extension, scored as P.862.2 MOS-LQO.
 * The stages live in pesq/: signal (level alignment and input filters), vad and time-align
 * (delay per utterance, delay changes inside the file), perceptual-model (frame
 * disturbances) and aggregate (the score). See docs/pesq.md.
 */
import { UserError } from '../errors.js';
import { rawScore, wideBandMosLqo } from './pesq/aggregate.js';
import { frameDisturbances } from './pesq/perceptual-model.js';
import { alignLevels, alignmentFilter, padSignal, wideBandInputFilter, type PaddedSignal } from './pesq/signal.js';
import { DATA_PADDING, LEAD, PESQ_SAMPLE_RATE } from './pesq/tables.js';
import { alignUtterances, type Utterance } from './pesq/time-align.js';
import { voiceActivity } from './pesq/vad.js';

export { PESQ_SAMPLE_RATE } from './pesq/tables.js';

export interface PesqResult {
  /** P.862.2 wideband MOS-LQO, 1.04 … 4.64. */
  mos: number;
  /** The raw P.862 score before the mapping. */
  raw: number;
  /** Utterances found in the reference, with their delays in samples (degraded = reference + delay). */
  utterances: { startSeconds: number; endSeconds: number; delay: number }[];
}

/** A copy of the signal's buffer, zero-extended to `length` (the model reads both at one length). */
function copyPadded(s: PaddedSignal, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(s.data);
  return out;
}

/**
 * WB-PESQ of `deg` against `ref`, both at 16 kHz with samples in [−1, 1] (resample first).
 * The signals are aligned by PESQ itself; pass them as they are. Throws UserError for input
 * that PESQ cannot score: under 0.25 s, non-finite samples, an all-zero reference, or no speech
 * in the reference. An all-zero degraded signal, where the recommendation's level alignment
 * would divide by zero, is scored as the silence it is (left unscaled): about the scale's floor.
 */
export function pesqDetailed(ref: ArrayLike<number>, deg: ArrayLike<number>, sampleRate: number): PesqResult {
  if (sampleRate !== PESQ_SAMPLE_RATE) {
    throw new UserError(`WB-PESQ is defined at ${PESQ_SAMPLE_RATE} Hz; got ${sampleRate} Hz (resample first)`);
  }
  for (const [name, x] of [['reference', ref], ['degraded', deg]] as const) {
    if (x.length < PESQ_SAMPLE_RATE / 4) {
      throw new UserError(`PESQ needs at least 0.25 s of audio; the ${name} signal has ${(x.length / PESQ_SAMPLE_RATE).toFixed(3)} s`);
    }
    let energy = 0;
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new UserError(`the ${name} signal has a non-finite sample at ${i}`);
      energy += x[i] * x[i];
    }
    // PESQ's level alignment divides by the signal's power: undefined for a silent reference.
    if (energy === 0 && name === 'reference') throw new UserError('PESQ: the reference signal is silent (all samples are zero)');
  }
  const r = padSignal(ref);
  const d = padSignal(deg);
  const maxN = Math.max(r.n, d.n);
  const silent = alignLevels(r, d);
  if (silent !== null) throw new UserError(`PESQ: the ${silent} signal has no energy between 300 and 3500 Hz`);
  wideBandInputFilter(r);
  wideBandInputFilter(d);

  // Delay estimation runs on band-filtered copies; the model reads the signals as they are now.
  const refModel = copyPadded(r, maxN + DATA_PADDING);
  const degModel = copyPadded(d, maxN + DATA_PADDING);
  alignmentFilter(r);
  alignmentFilter(d);
  const refVad = voiceActivity(r.data, r.n);
  const degVad = voiceActivity(d.data, d.n);
  const utts: Utterance[] = alignUtterances({ ref: r, deg: d, refVad: refVad.vad, refLogVad: refVad.logVad, degLogVad: degVad.logVad });

  const raw = rawScore(frameDisturbances(refModel, degModel, maxN, utts));
  return {
    mos: wideBandMosLqo(raw),
    raw,
    utterances: utts.map((u) => ({
      startSeconds: (u.start * 64 - LEAD) / PESQ_SAMPLE_RATE,
      endSeconds: (u.end * 64 - LEAD) / PESQ_SAMPLE_RATE,
      delay: u.delay,
    })),
  };
}

/** WB-PESQ MOS-LQO of `deg` against `ref` (16 kHz, samples in [−1, 1]). */
export function pesqWb(ref: ArrayLike<number>, deg: ArrayLike<number>, sampleRate: number): number {
  return pesqDetailed(ref, deg, sampleRate).mos;
}
