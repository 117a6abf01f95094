import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSpeech } from '../src/audio/load.js';
import { openSpeechStream } from '../src/audio/stream.js';
import { downmix } from '../src/audio/downmix.js';
import { resample } from '../src/audio/resample.js';
import { UserError } from '../src/errors.js';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';
import { buildWav, interleave } from './fixtures/audio/make-wav.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'nsvq-audio-load-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function collect(chunks: AsyncIterable<Float32Array>): Promise<{ samples: Float32Array; count: number }> {
  const parts: Float32Array[] = [];
  for await (const c of chunks) parts.push(c.slice());
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { samples.set(p, o); o += p.length; }
  return { samples, count: parts.length };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A stereo 16-bit WAV of `seconds` with different content per channel. */
function stereoWav(rate: number, frames: number): { bytes: Uint8Array; left: number[]; right: number[] } {
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < frames; i++) {
    left.push(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / rate)));
    right.push(Math.round(8000 * Math.sin((2 * Math.PI * 3100 * i) / rate + 1)));
  }
  return { bytes: buildWav({ formatTag: 1, channels: 2, sampleRate: rate, bitsPerSample: 16, data: interleave([left, right], 'i16') }), left, right };
}

describe('downmix', () => {
  it('is the mean of the channels, and a copy for mono', () => {
    const a = new Float32Array([1, 0.5, -1]);
    const b = new Float32Array([0, -0.5, 0.5]);
    const c = new Float32Array([0.5, 0.3, 0]);
    expect(Array.from(downmix([a, b, c]))).toEqual(Array.from(new Float32Array([0.5, 0.1, -0.5 / 3])));
    const m = downmix([a]);
    expect(m).not.toBe(a);
    expect(Array.from(m)).toEqual(Array.from(a));
  });
});

describe('loadSpeech', () => {
  it('stereo 44.1 kHz WAV → mono 16 kHz: downmix then band-limited resample, metadata kept', async () => {
    const frames = 44100 + 123;
    const { bytes, left, right } = stereoWav(44100, frames);
    const p = path.join(dir, 'st44.wav');
    writeFileSync(p, bytes);
    const s = await loadSpeech(p);
    expect(s).toMatchObject({ sampleRate: 16000, originalRate: 44100, originalChannels: 2 });
    expect(s.samples.length).toBe(Math.round((frames * 16000) / 44100));
    const mono = new Float32Array(frames);
    for (let i = 0; i < frames; i++) mono[i] = (left[i] / 32768 + right[i] / 32768) / 2;
    const want = await resample(mono, 44100, 16000);
    expect(maxAbsDiff(s.samples, want)).toBeLessThan(1e-6);
  });

  it('16 kHz mono input comes back sample for sample', async () => {
    const codes = Array.from({ length: 999 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const p = path.join(dir, 'm16.wav');
    writeFileSync(p, buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: interleave([codes], 'i16') }));
    const s = await loadSpeech(p);
    expect(Array.from(s.samples)).toEqual(codes.map((c) => Math.fround(c / 32768)));
  });

  it('a custom target rate is honoured', async () => {
    const p = path.join(dir, 'st48.wav');
    writeFileSync(p, stereoWav(48000, 4800).bytes);
    const s = await loadSpeech(p, 8000);
    expect(s.sampleRate).toBe(8000);
    expect(s.samples.length).toBe(800);
  });
});

describe('openSpeechStream', () => {
  for (const [rate, frames] of [[44100, 3 * 44100 + 77], [48000, 2 * 48000], [16000, 16000 * 2 + 5], [22050, 1000]] as const) {
    it(`WAV at ${rate} Hz (${frames} frames) streams in blocks equal to loadSpeech, same length`, async () => {
      const p = path.join(dir, `stream-${rate}.wav`);
      writeFileSync(p, stereoWav(rate, frames).bytes);
      const whole = await loadSpeech(p);
      const st = await openSpeechStream(p);
      expect(st).toMatchObject({ originalRate: rate, originalChannels: 2, originalLength: frames });
      const { samples, count } = await collect(st.chunks);
      expect(samples.length).toBe(whole.samples.length);
      expect(maxAbsDiff(samples, whole.samples)).toBeLessThan(1e-6);
      if (frames > 2 * rate) expect(count).toBeGreaterThan(1); // really incremental
    });
  }

  it('bad files fail at open with the same UserError as loadSpeech', async () => {
    const missing = path.join(dir, 'nope.wav');
    await expect(openSpeechStream(missing)).rejects.toThrow(/^no such file: /);
    const empty = path.join(dir, 'empty.wav');
    writeFileSync(empty, new Uint8Array(0));
    await expect(openSpeechStream(empty)).rejects.toThrow(/^empty file: /);
    const trunc = path.join(dir, 'trunc.wav');
    writeFileSync(trunc, buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: new Uint8Array(10), dataSizeField: 20 }));
    await expect(openSpeechStream(trunc)).rejects.toThrow(/truncated WAV: .*expected 20 bytes of audio, found 10/);
    const nan = path.join(dir, 'nan.wav');
    const vals = new Array(50000).fill(0.1);
    vals[45000] = Number.NaN; // far into the file: still caught before the first chunk
    writeFileSync(nan, buildWav({ formatTag: 3, channels: 1, sampleRate: 16000, bitsPerSample: 32, data: interleave([vals], 'f32') }));
    const err = await openSpeechStream(nan).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/sample 45000 of channel 1 is NaN/);
    const odd = path.join(dir, 'odd-rate.wav');
    writeFileSync(odd, buildWav({ formatTag: 1, channels: 1, sampleRate: 1000, bitsPerSample: 16, data: new Uint8Array(100) }));
    await expect(openSpeechStream(odd, 300000)).rejects.toThrow(/cannot resample from 1000 Hz to 300000 Hz/);
    const text = path.join(dir, 'text.wav');
    writeFileSync(text, 'not audio at all, just words\n');
    await expect(openSpeechStream(text)).rejects.toThrow(/^not a supported audio file: /);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('opening without iterating, and iterating to the end, leave no file descriptor open', async () => {
    const p = path.join(dir, 'fd.wav');
    writeFileSync(p, stereoWav(16000, 40000).bytes);
    const before = readdirSync('/proc/self/fd').length;
    await openSpeechStream(p);
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    const st = await openSpeechStream(p);
    await collect(st.chunks);
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});

describe.skipIf(!HAVE_SHARED)('shared speech through loadSpeech and openSpeechStream', () => {
  noteSkip('audio-load shared speech');
  const wav48 = path.join(SPEECH_DIR, 'other', 'p225_001.wav');
  const lj = path.join(SPEECH_DIR, 'LJSpeech');
  const ljFile = HAVE_SHARED ? path.join(lj, readdirSync(lj).filter((f) => f.endsWith('.flac')).sort()[0]) : '';

  for (const [label, file] of [['VCTK 48 kHz WAV', wav48], ['LJSpeech 22.05 kHz FLAC', ljFile]] as const) {
    it(`${label}: stream equals loadSpeech, length round(n·16000/rate)`, async () => {
      const whole = await loadSpeech(file);
      const st = await openSpeechStream(file);
      const { samples } = await collect(st.chunks);
      expect(st.originalRate).toBe(whole.originalRate);
      expect(whole.samples.length).toBe(Math.round((st.originalLength * 16000) / st.originalRate));
      expect(samples.length).toBe(whole.samples.length);
      expect(maxAbsDiff(samples, whole.samples)).toBeLessThan(1e-6);
    });
  }
});
