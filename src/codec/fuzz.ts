/**
 * Decoder robustness harness shared by the CI fuzz test and `bench/fuzz.ts`: feed decodeSpeech
 * random bytes, random frames behind a valid header, truncations and bit flips of a valid stream.
 * Each case must either decode (output of the header's length, all finite) or throw a
 * CorruptDataError; anything else is recorded as a failure.
 */
import { CorruptDataError } from '../errors.js';
import type { CodecModel } from '../model/model-format.js';
import { Rng } from '../vq/random.js';
import { HEADER_BYTES, codedLength, readHeader } from '../coding/container.js';
import { decodeSpeech } from './codec.js';

export type FuzzKind = 'random' | 'random-frames' | 'truncated' | 'bit-flip';

export interface FuzzReport {
  cases: number;
  decoded: number;
  rejected: number;
  byKind: Record<FuzzKind, number>;
  failures: string[];
  /** Slowest single case in milliseconds. */
  slowestMs: number;
}

/** Run `cases` fuzz cases against valid stream `valid` (made with `model`), deterministic in `seed`. */
export function fuzzDecoder(model: CodecModel, valid: Uint8Array, cases: number, seed = 1): FuzzReport {
  const rng = new Rng(seed);
  const { header } = readHeader(valid);
  const kinds: FuzzKind[] = ['random', 'random-frames', 'truncated', 'bit-flip'];
  const report: FuzzReport = {
    cases: 0,
    decoded: 0,
    rejected: 0,
    byKind: { random: 0, 'random-frames': 0, truncated: 0, 'bit-flip': 0 },
    failures: [],
    slowestMs: 0,
  };
  for (let c = 0; c < cases; c++) {
    const kind = kinds[c % kinds.length];
    let bytes: Uint8Array;
    if (kind === 'random') {
      bytes = new Uint8Array(rng.int(2 * valid.length + 1));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      // Sometimes keep the magic so the header checks themselves are exercised.
      if (bytes.length >= 4 && rng.uniform() < 0.5) bytes.set(valid.subarray(0, 4));
    } else if (kind === 'random-frames') {
      bytes = valid.slice();
      for (let i = HEADER_BYTES; i < bytes.length; i++) bytes[i] = rng.int(256);
    } else if (kind === 'truncated') {
      bytes = valid.slice(0, rng.int(valid.length));
    } else {
      bytes = valid.slice();
      const flips = 1 + rng.int(8);
      // Mostly in the frames (where any bytes decode), sometimes in the header.
      for (let f = 0; f < flips; f++) {
        const pos = rng.uniform() < 0.2 ? rng.int(HEADER_BYTES) : rng.int(bytes.length);
        bytes[pos] ^= 1 << rng.int(8);
      }
    }
    report.byKind[kind]++;
    report.cases++;
    const t0 = performance.now();
    try {
      const { samples, header: h } = decodeSpeech(model, bytes);
      if (samples.length !== codedLength(h.originalLength, h.originalRate)) throw new Error(`length ${samples.length} does not match the header`);
      for (let i = 0; i < samples.length; i++) {
        if (!Number.isFinite(samples[i])) throw new Error(`non-finite sample at ${i}`);
      }
      if (h.originalLength !== header.originalLength && kind !== 'random') throw new Error('header changed but decoded');
      report.decoded++;
    } catch (err) {
      if (err instanceof CorruptDataError) report.rejected++;
      else report.failures.push(`case ${c} (${kind}, ${bytes.length} bytes): ${(err as Error)?.stack ?? String(err)}`);
    }
    const dt = performance.now() - t0;
    if (dt > report.slowestMs) report.slowestMs = dt;
  }
  return report;
}
