import { describe, expect, it } from 'vitest';
import { estimatePitch, pitchScratchLength } from '../src/dsp/pitch.js';
import { PITCH_GAINS, PITCH_MAX_LAG, PITCH_MIN_LAG, PitchPostFilter, PitchPreFilter, type PitchParams } from '../src/coding/pitch-filter.js';
import { Encoder } from '../src/codec/encoder.js';
import { Decoder } from '../src/codec/decoder.js';
import { decodeSpeech, encodeSpeech } from '../src/codec/codec.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { mulberry32 } from './helpers/signals.js';
import { encodeWithFields } from './helpers/frame-fields.js';

const HOP = 320;

/** A voiced-like signal: a glottal-ish pulse train of period `period` samples, plus a little noise. */
function pulseTrain(n: number, period: number, seed = 3): Float64Array {
  const rnd = mulberry32(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ph = (i % period) / period;
    x[i] = Math.exp(-12 * ph) * Math.sin(2 * Math.PI * 3 * ph) * 0.3 + 0.002 * (rnd() - 0.5);
  }
  return x;
}

describe('open-loop pitch estimate (dsp/pitch.ts)', () => {
  it('finds the period of pulse trains across the lag range', () => {
    const scratch = new Float64Array(pitchScratchLength(HOP, PITCH_MAX_LAG));
    for (const period of [37, 80, 101, 160, 233, 300]) {
      const x = pulseTrain(PITCH_MAX_LAG + HOP, period);
      const est = estimatePitch(x, PITCH_MAX_LAG, HOP, PITCH_MIN_LAG, PITCH_MAX_LAG, scratch);
      // A multiple of the period within the range correlates as well; the shortest lag with the
      // best correlation may also be the period itself: accept the period or a multiple of it.
      expect(est.lag % period === 0 || Math.abs(est.lag - period) <= 1, `period ${period}: lag ${est.lag}`).toBe(true);
      expect(est.correlation).toBeGreaterThan(0.9);
    }
  });

  it('reports no correlation for silence and little for white noise', () => {
    const scratch = new Float64Array(pitchScratchLength(HOP, PITCH_MAX_LAG));
    expect(estimatePitch(new Float64Array(PITCH_MAX_LAG + HOP), PITCH_MAX_LAG, HOP, PITCH_MIN_LAG, PITCH_MAX_LAG, scratch).correlation).toBe(0);
    const rnd = mulberry32(5);
    const noise = Float64Array.from({ length: PITCH_MAX_LAG + HOP }, () => rnd() - 0.5);
    expect(estimatePitch(noise, PITCH_MAX_LAG, HOP, PITCH_MIN_LAG, PITCH_MAX_LAG, scratch).correlation).toBeLessThan(0.4);
  });

  it('refuses a segment without enough history', () => {
    expect(() => estimatePitch(new Float64Array(400), 100, HOP, PITCH_MIN_LAG, PITCH_MAX_LAG, new Float64Array(400))).toThrow(RangeError);
  });
});

describe('pitch pre-filter and post-filter (coding/pitch-filter.ts)', () => {
  it('the post-filter inverts the pre-filter, cross-fades included', () => {
    // Period changing every few segments, voiced and unvoiced stretches: every fade case.
    const segments = 24;
    const x = new Float64Array(segments * HOP);
    const rnd = mulberry32(9);
    for (let s = 0; s < segments; s++) {
      const period = [90, 91, 140, 60][Math.floor(s / 4) % 4];
      const voiced = s % 7 !== 3;
      const p = pulseTrain(HOP + period * 4, period, s);
      for (let i = 0; i < HOP; i++) x[s * HOP + i] = voiced ? p[i + ((s * HOP) % period)] : 0.05 * (rnd() - 0.5);
    }
    const pre = new PitchPreFilter();
    const post = new PitchPostFilter();
    const filtered = new Float64Array(HOP);
    let on = 0;
    let changes = 0;
    let last: PitchParams | null = null;
    let maxErr = 0;
    let maxChange = 0;
    for (let s = 0; s < segments; s++) {
      const seg = x.subarray(s * HOP, (s + 1) * HOP);
      const params = pre.process(seg, filtered);
      if (params.lag > 0) on++;
      if (last && (last.lag !== params.lag || last.gainIndex !== params.gainIndex)) changes++;
      last = params;
      for (let i = 0; i < HOP; i++) maxChange = Math.max(maxChange, Math.abs(filtered[i] - seg[i]));
      const y = Float32Array.from(filtered);
      post.apply(y, params);
      for (let i = 0; i < HOP; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - seg[i]));
    }
    expect(on).toBeGreaterThan(12);
    expect(changes).toBeGreaterThan(3);
    expect(maxChange).toBeGreaterThan(0.01); // the filter did something
    expect(maxErr).toBeLessThan(1e-6); // float32 rounding of the output only
  });

  it('chooses gains from the table and stays off with gainMax 0', () => {
    const x = pulseTrain(HOP * 6, 120);
    const pre = new PitchPreFilter();
    const off = new PitchPreFilter({ gainMax: 0 });
    const out = new Float64Array(HOP);
    for (let s = 0; s < 6; s++) {
      const p = pre.process(x.subarray(s * HOP, (s + 1) * HOP), out);
      if (s >= 1) {
        expect(p.lag % 120 === 0 || Math.abs(p.lag - 120) <= 1).toBe(true);
        expect(p.gainIndex >= 0 && p.gainIndex < PITCH_GAINS.length).toBe(true);
      }
      const q = off.process(x.subarray(s * HOP, (s + 1) * HOP), out);
      expect(q.lag).toBe(0);
      expect(Array.from(out)).toEqual(Array.from(x.subarray(s * HOP, (s + 1) * HOP)));
    }
    expect(() => new PitchPreFilter({ gainMax: 2 })).toThrow(RangeError);
    expect(() => new PitchPreFilter({ voicing: Number.NaN })).toThrow(RangeError);
  });
});

describe('pitch fields in the stream', () => {
  const model = buildSyntheticModel();

  it('the decoder reads the parameters the encoder chose, frame by frame, at every mode', () => {
    const x = Float32Array.from(pulseTrain(16000, 133));
    for (const bitrate of [8000, 16400, 32000] as const) {
      const { frames, fields } = encodeWithFields(model, bitrate, x);
      const written: PitchParams[] = fields.map((f) => f.pitch);
      const dec = new Decoder(model, bitrate);
      dec.frameDecoder.recordFields = true;
      let on = 0;
      expect(frames.length).toBe(Math.ceil(x.length / HOP) + 1);
      expect(written[0].lag).toBe(0); // frame 0 outputs the front padding
      frames.forEach((f, j) => {
        dec.decodeFrame(f);
        expect(dec.frameDecoder.last!.pitch, `frame ${j}`).toEqual(written[j]);
        if (written[j].lag > 0) on++;
      });
      expect(on).toBeGreaterThan(frames.length / 2);
    }
  });

  it('buys quality on a voiced signal: the post-filtered output is closer to the input than without the filter', () => {
    const x = Float32Array.from(pulseTrain(24000, 97));
    const err = (y: Float32Array): number => {
      let e = 0;
      for (let i = 0; i < x.length; i++) e += (x[i] - y[i]) ** 2;
      return e;
    };
    const on = err(decodeSpeech(model, encodeSpeech(model, x, 8000)).samples);
    const off = err(decodeSpeech(model, encodeSpeech(model, x, 8000, 16000, undefined, { pitch: { gainMax: 0 } })).samples);
    expect(on).toBeLessThan(off);
  });

  it('a speech-like signal round-trips through the streaming encoder in any chunking with the same bytes', () => {
    const x = syntheticSpeechLike(1.337, 4);
    const whole = encodeSpeech(model, x, 13200);
    const enc = new Encoder(model, 13200);
    const parts: Uint8Array[] = [];
    const rnd = mulberry32(2);
    for (let i = 0; i < x.length;) {
      const n = 1 + Math.floor(rnd() * 700);
      parts.push(...enc.push(x.subarray(i, i + n)));
      i += n;
    }
    parts.push(...enc.flush());
    const joined = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expect(Buffer.from(joined).equals(Buffer.from(whole.subarray(32)))).toBe(true);
  });
});

describe('pitch post-filter in lost frames', () => {
  const model = buildSyntheticModel();

  it('keeps the last parameters for pitchHoldFrames lost frames, then turns off', () => {
    const x = Float32Array.from(pulseTrain(16000, 120));
    const bytes = encodeSpeech(model, x, 13200);
    const frames = (bytes.length - 32) / 33;
    const lost = new Uint8Array(frames);
    for (let j = 20; j < 24; j++) lost[j] = 1; // a burst of four from frame 20
    const out = (hold: number): Float32Array => decodeSpeech(model, bytes, lost, {}, { pitchHoldFrames: hold }).samples;
    const segment = (y: Float32Array, j: number): number[] => Array.from(y.subarray((j - 1) * HOP, j * HOP));
    const h0 = out(0);
    const h1 = out(1);
    const h2 = out(2);
    // Before the burst the outputs are the same; frame j outputs segment j − 1.
    expect(segment(h0, 19)).toEqual(segment(h2, 19));
    // First lost frame: held (h1, h2) against off (h0).
    expect(segment(h1, 20)).toEqual(segment(h2, 20));
    expect(segment(h0, 20)).not.toEqual(segment(h2, 20));
    // Second lost frame: only h2 still holds.
    expect(segment(h1, 21)).not.toEqual(segment(h2, 21));
  });
});
