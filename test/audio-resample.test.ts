import { describe, it, expect } from 'vitest';
import { resample, resampledLength, StreamResampler } from '../src/audio/resample.js';
import { UserError } from '../src/errors.js';
import { amplitudeAt, db, maxAbsDiff, rms, streamInBlocks, tone } from './helpers/signals.js';

describe('resampler frequency response (SRC_SINC_BEST_QUALITY)', () => {
  // Half a second of input; measure away from the edges (filter start-up and flush).
  for (const rate of [44100, 48000]) {
    it(`${rate} → 16000: tones above 8 kHz come out at least 60 dB below a passband tone`, async () => {
      const n = rate / 2;
      const ref = await resample(tone(1000, rate, n), rate, 16000);
      const refRms = rms(ref, 1000, 7000);
      expect(db(refRms / (0.5 / Math.SQRT2))).toBeCloseTo(0, 2); // the reference really passes
      for (const f of [8500, 9000, 12000, 20000]) {
        const y = await resample(tone(f, rate, n), rate, 16000);
        const rejection = db(rms(y, 1000, 7000) / refRms);
        if (!(rejection <= -60)) expect.fail(`${f} Hz at ${rate} Hz: only ${rejection.toFixed(1)} dB down`);
      }
    });

    it(`${rate} → 16000: passband tones 100 Hz … 7 kHz keep their amplitude within ±0.01 dB`, async () => {
      const n = rate / 2;
      for (const f of [100, 440, 1000, 2500, 4000, 5500, 7000]) {
        const y = await resample(tone(f, rate, n), rate, 16000);
        const gain = db(amplitudeAt(y, f, 16000, 1000, 7000) / 0.5);
        if (!(Math.abs(gain) <= 0.01)) expect.fail(`${f} Hz at ${rate} Hz: gain ${gain.toFixed(4)} dB`);
      }
    });
  }

  it('has no delay: the output tone has the input phase (zero-delay alignment)', async () => {
    const y = await resample(tone(1000, 48000, 24000), 48000, 16000);
    const want = tone(1000, 16000, y.length);
    expect(maxAbsDiff(y.subarray(500, y.length - 500), want.subarray(500, y.length - 500))).toBeLessThan(1e-4);
  });

  it('upsamples 16 kHz → 44.1 kHz without imaging: a 7 kHz tone has nothing above 8 kHz', async () => {
    const y = await resample(tone(7000, 16000, 8000), 16000, 44100);
    const kept = amplitudeAt(y, 7000, 44100, 2000, 18000);
    expect(Math.abs(db(kept / 0.5))).toBeLessThan(0.01);
    // The first image of 7 kHz would sit at 16 − 7 = 9 kHz.
    expect(db(amplitudeAt(y, 9000, 44100, 2000, 18000) / 0.5)).toBeLessThan(-60);
  });
});

describe('resampler lengths and state', () => {
  it('output length is round(n·to/from) for many lengths and rate pairs', async () => {
    for (const [from, to] of [[48000, 16000], [44100, 16000], [22050, 16000], [8000, 16000], [16000, 44100], [11025, 16000]]) {
      for (const n of [0, 1, 2, 3, 7, 100, 441, 1001, 4410 + 3]) {
        const y = await resample(new Float32Array(n).fill(0.1), from, to);
        const want = Math.round((n * to) / from);
        if (y.length !== want || resampledLength(n, from, to) !== want) {
          expect.fail(`${n} samples ${from}→${to}: got ${y.length} (resampledLength ${resampledLength(n, from, to)}), want ${want}`);
        }
      }
    }
  });

  it('equal rates return an identical copy', async () => {
    const x = tone(300, 16000, 1000);
    const y = await resample(x, 16000, 16000);
    expect(y).not.toBe(x);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('the cached converter is reset between calls (same input, same output; no leftover tail)', async () => {
    const x = tone(1234, 44100, 9000);
    const a = await resample(x, 44100, 16000);
    await resample(tone(5000, 44100, 3000, 0.9), 44100, 16000);
    const b = await resample(x, 44100, 16000);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('concurrent calls on one rate pair do not interfere', async () => {
    const x1 = tone(500, 48000, 20000);
    const x2 = tone(3000, 48000, 30000);
    const [a1, a2] = await Promise.all([resample(x1, 48000, 16000), resample(x2, 48000, 16000)]);
    expect(Array.from(a1)).toEqual(Array.from(await resample(x1, 48000, 16000)));
    expect(Array.from(a2)).toEqual(Array.from(await resample(x2, 48000, 16000)));
  });

  it('StreamResampler over uneven blocks equals the whole-signal resample, same length', async () => {
    const x = new Float32Array(70001);
    for (let i = 0; i < x.length; i++) x[i] = 0.4 * Math.sin(i * 0.05) + 0.2 * Math.sin(i * 0.731) * Math.cos(i * 0.0007);
    for (const from of [44100, 48000, 16000]) {
      const whole = await resample(x, from, 16000);
      const s = await StreamResampler.create(from, 16000);
      const joined = streamInBlocks(s, x, [1, 999, 4096, 65536, 17, 300]);
      expect(joined.length).toBe(whole.length);
      expect(maxAbsDiff(joined, whole)).toBeLessThan(1e-6);
    }
  });

  it('rejects unusable rates with a UserError', async () => {
    await expect(resample(new Float32Array(10), 0, 16000)).rejects.toBeInstanceOf(UserError);
    await expect(resample(new Float32Array(10), 44100.5, 16000)).rejects.toBeInstanceOf(UserError);
    await expect(resample(new Float32Array(10), 1_000_000, 1000)).rejects.toThrow(/ratio/);
  });
});
