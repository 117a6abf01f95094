import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWav } from '../src/audio/wav.js';
import { decodeAudioFile } from '../src/audio/decode.js';
import { writeWav16, WavWriter16 } from '../src/audio/wav-write.js';
import { UserError } from '../src/errors.js';
import { buildWav, interleave } from './fixtures/audio/make-wav.js';
import { createRequire } from 'node:module';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'nsvq-audio-wav-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function put(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A deterministic pseudo-random integer sequence in [lo, hi]. */
function codes(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}

function expectSamples(got: Float32Array, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== Math.fround(want[i])) expect.fail(`sample ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

describe('WAV reader: hand-made bytes decode to known values', () => {
  it('8-bit unsigned PCM: 0 → −1, 128 → 0, 255 → 127/128', () => {
    const w = parseWav(buildWav({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 8, data: new Uint8Array([0, 128, 255, 64]) }));
    expectSamples(w.channels[0], [-1, 0, 127 / 128, -0.5]);
  });
  it('16-bit PCM: 0x8000 → −1, 0x7fff → 32767/32768, 0xffff → −1/32768', () => {
    const w = parseWav(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: new Uint8Array([0x00, 0x80, 0xff, 0x7f, 0xff, 0xff, 0x00, 0x40]) }));
    expectSamples(w.channels[0], [-1, 32767 / 32768, -1 / 32768, 0.5]);
  });
  it('24-bit PCM: sign extension of 0x800000 and 0xffffff', () => {
    const w = parseWav(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 24, data: new Uint8Array([0, 0, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0x40]) }));
    expectSamples(w.channels[0], [-1, -1 / 8388608, 8388607 / 8388608, 0.5]);
  });
  it('32-bit PCM: 0x80000000 → −1, 0x40000000 → 0.5', () => {
    const w = parseWav(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 32, data: new Uint8Array([0, 0, 0, 0x80, 0, 0, 0, 0x40]) }));
    expectSamples(w.channels[0], [-1, 0.5]);
  });
});

describe('WAV reader: every encoding, channel count and rate', () => {
  const n = 257;
  const cases: Array<{ name: string; tag: number; sub?: number; bits: number; kind: 'u8' | 'i16' | 'i24' | 'i32' | 'f32' | 'f64'; ch: number; rate: number }> = [
    { name: 'u8 mono 11025', tag: 1, bits: 8, kind: 'u8', ch: 1, rate: 11025 },
    { name: 'i16 stereo 44100', tag: 1, bits: 16, kind: 'i16', ch: 2, rate: 44100 },
    { name: 'i24 3ch 96000', tag: 1, bits: 24, kind: 'i24', ch: 3, rate: 96000 },
    { name: 'i32 mono 22050', tag: 1, bits: 32, kind: 'i32', ch: 1, rate: 22050 },
    { name: 'f32 stereo 48000', tag: 3, bits: 32, kind: 'f32', ch: 2, rate: 48000 },
    { name: 'f64 mono 8000', tag: 3, bits: 64, kind: 'f64', ch: 1, rate: 8000 },
    { name: 'extensible PCM i16 6ch 48000', tag: 0xfffe, sub: 1, bits: 16, kind: 'i16', ch: 6, rate: 48000 },
    { name: 'extensible PCM i24 stereo 192000', tag: 0xfffe, sub: 1, bits: 24, kind: 'i24', ch: 2, rate: 192000 },
    { name: 'extensible float f32 4ch 32000', tag: 0xfffe, sub: 3, bits: 32, kind: 'f32', ch: 4, rate: 32000 },
    { name: 'extensible float f64 mono 12345', tag: 0xfffe, sub: 3, bits: 64, kind: 'f64', ch: 1, rate: 12345 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const raw: number[][] = [];
      const want: number[][] = [];
      for (let k = 0; k < c.ch; k++) {
        if (c.kind === 'f32' || c.kind === 'f64') {
          const v = codes(n, -1_000_000, 1_000_000, 7 + k).map((q) => q / 1_000_001);
          raw.push(c.kind === 'f32' ? v.map(Math.fround) : v);
          want.push(raw[k]);
        } else if (c.kind === 'u8') {
          raw.push(codes(n, 0, 255, 7 + k));
          want.push(raw[k].map((q) => (q - 128) / 128));
        } else {
          const half = 2 ** (c.bits - 1);
          raw.push(codes(n, -half, half - 1, 7 + k));
          want.push(raw[k].map((q) => q / half));
        }
      }
      const bytes = buildWav({ formatTag: c.tag, subFormat: c.sub, channels: c.ch, sampleRate: c.rate, bitsPerSample: c.bits, data: interleave(raw, c.kind) });
      const w = parseWav(bytes);
      expect(w.sampleRate).toBe(c.rate);
      expect(w.channels.length).toBe(c.ch);
      for (let k = 0; k < c.ch; k++) expectSamples(w.channels[k], want[k]);
    });
  }

  it('skips unknown chunks, honours odd-size padding, and ignores chunks after data', () => {
    const data = interleave([[1000, -2000, 3000]], 'i16');
    const bytes = buildWav({
      formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data,
      chunksBefore: [{ id: 'JUNK', body: new Uint8Array(3).fill(0xee) }],
      chunksBetween: [{ id: 'LIST', body: new Uint8Array(5).fill(0x41) }, { id: 'fact', body: new Uint8Array(4) }],
      chunksAfter: [{ id: 'id3 ', body: new Uint8Array(7) }],
    });
    expectSamples(parseWav(bytes).channels[0], [1000 / 32768, -2000 / 32768, 3000 / 32768]);
  });

  it('20-bit samples in 24-bit containers (extensible valid bits) are left-justified', () => {
    // 20 valid bits: code c is stored as c << 4 in the 24-bit container.
    const w = parseWav(buildWav({ formatTag: 0xfffe, subFormat: 1, channels: 1, sampleRate: 16000, bitsPerSample: 20, containerBytes: 3, data: interleave([[0x80000 << 4, 0x40000 << 4]], 'i24') }));
    expectSamples(w.channels[0], [-1, 0.5]);
  });

  it('decodeAudioFile dispatches WAV to the parser (file on disk, stereo)', async () => {
    const p = put('stereo.wav', buildWav({ formatTag: 1, channels: 2, sampleRate: 44100, bitsPerSample: 16, data: interleave([[16384, 0], [-16384, 8192]], 'i16') }));
    const d = await decodeAudioFile(p);
    expect(d.sampleRate).toBe(44100);
    expectSamples(d.channels[0], [0.5, 0]);
    expectSamples(d.channels[1], [-0.5, 0.25]);
  });
});

describe('bad input gives one clear UserError', () => {
  const ok16 = interleave([[1, 2, 3, 4]], 'i16');
  async function failsWith(bytes: Uint8Array | undefined, re: RegExp, name = 'bad.wav'): Promise<void> {
    const p = bytes === undefined ? path.join(dir, 'does-not-exist.wav') : put(name, bytes);
    const err = await decodeAudioFile(p).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  }
  it('missing file', () => failsWith(undefined, /^no such file: .*does-not-exist\.wav$/));
  it('directory', async () => {
    const d = path.join(dir, 'a-directory');
    mkdirSync(d, { recursive: true });
    const err = await decodeAudioFile(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/directory/);
  });
  it('zero-length file', () => failsWith(new Uint8Array(0), /^empty file: /));
  it('not audio at all', () => failsWith(new TextEncoder().encode('hello, this is a text file\n'.repeat(20)), /^not a supported audio file: .*bad\.wav/));
  it('RIFF but not WAVE', () => {
    const b = buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: ok16 });
    b.set([0x41, 0x56, 0x49, 0x20], 8); // 'AVI '
    return failsWith(b, /^not a supported audio file/);
  });
  it('big-endian RIFX is named', () => {
    const b = buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: ok16 });
    b.set([0x52, 0x49, 0x46, 0x58], 0); // 'RIFX'
    return failsWith(b, /unsupported WAV variant .*RIFX/);
  });
  it('truncated data chunk', () => {
    const b = buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: ok16, dataSizeField: 1000 });
    return failsWith(b, /truncated WAV: .*expected 1000 bytes of audio, found 8$/);
  });
  it('file cut in the middle of the data', () => {
    const full = buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: interleave([codes(100, -100, 100, 3)], 'i16') });
    return failsWith(full.subarray(0, full.length - 51), /truncated WAV: .*expected 200 bytes of audio, found 149$/);
  });
  it('missing fmt chunk', () => failsWith(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: ok16, omitFmt: true }), /fmt/));
  it('missing data chunk', () => failsWith(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: ok16, omitData: true }), /no data chunk/));
  it('no samples', () => failsWith(buildWav({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, data: new Uint8Array(0) }), /no audio samples/));
  it('A-law is named', () => failsWith(buildWav({ formatTag: 6, channels: 1, sampleRate: 8000, bitsPerSample: 8, data: new Uint8Array(4) }), /unsupported WAV encoding .*A-law \(format 0x0006\)/));
  it('IMA ADPCM is named', () => failsWith(buildWav({ formatTag: 0x11, channels: 1, sampleRate: 8000, bitsPerSample: 4, containerBytes: 1, data: new Uint8Array(4) }), /IMA ADPCM/));
  it('extensible with an ADPCM sub-format is named', () => failsWith(buildWav({ formatTag: 0xfffe, subFormat: 2, channels: 1, sampleRate: 8000, bitsPerSample: 16, data: ok16 }), /Microsoft ADPCM/));
  it('16-bit float is unsupported', () => failsWith(buildWav({ formatTag: 3, channels: 1, sampleRate: 8000, bitsPerSample: 16, data: ok16 }), /16-bit float/));
  it('NaN in a float file', () => failsWith(buildWav({ formatTag: 3, channels: 2, sampleRate: 16000, bitsPerSample: 32, data: interleave([[0, 0.5], [0.25, Number.NaN]], 'f32') }), /sample 1 of channel 2 is NaN/));
  it('Inf in a 64-bit float file', () => failsWith(buildWav({ formatTag: 3, channels: 1, sampleRate: 16000, bitsPerSample: 64, data: interleave([[0, Number.NEGATIVE_INFINITY]], 'f64') }), /-Infinity/));
});

describe('WAV writer', () => {
  it('writeWav16 round-trips k/32768 exactly, clips and rounds to nearest', async () => {
    const p = path.join(dir, 'out16.wav');
    const x = new Float32Array([0, 0.5, -0.5, 1 / 32768, -1, 1, 1.7, -3, 0.4 / 32768, 0.6 / 32768, -0.6 / 32768]);
    await writeWav16(p, x, 16000);
    const w = parseWav(new Uint8Array(readFileSync(p)));
    expect(w.sampleRate).toBe(16000);
    expect(w.format).toMatchObject({ encoding: 'pcm', bitsPerSample: 16, channels: 1 });
    expectSamples(w.channels[0], [0, 0.5, -0.5, 1 / 32768, -1, 32767 / 32768, 32767 / 32768, -1, 0, 1 / 32768, -1 / 32768]);
    expect(readdirSync(dir).filter((f) => f.includes('out16') && f.endsWith('.tmp'))).toEqual([]);
  });

  it('WavWriter16 streams blocks, patches the header on commit, and matches writeWav16 byte for byte', async () => {
    const x = new Float32Array(5000);
    for (let i = 0; i < x.length; i++) x[i] = 0.8 * Math.sin(i * 0.01) * Math.cos(i * 0.003);
    const a = path.join(dir, 'stream.wav');
    const b = path.join(dir, 'whole.wav');
    const w = new WavWriter16(a, 22050);
    expect(existsSync(a)).toBe(false);
    for (let off = 0; off < x.length; off += 777) w.write(x.subarray(off, off + 777));
    expect(existsSync(a)).toBe(false); // nothing under the final name before commit
    w.commit();
    await writeWav16(b, x, 22050);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
    const back = parseWav(new Uint8Array(readFileSync(a)));
    expect(back.sampleRate).toBe(22050);
    expect(back.channels[0].length).toBe(5000);
  });

  it('abort leaves no file, not even a temporary one', () => {
    const sub = mkdtempSync(path.join(dir, 'abort-'));
    const p = path.join(sub, 'never.wav');
    const w = new WavWriter16(p, 16000);
    w.write(new Float32Array(1000).fill(0.1));
    w.abort();
    expect(readdirSync(sub)).toEqual([]);
  });

  it('an unwritable output path is a one-line UserError, for both writers', async () => {
    const p = path.join(dir, 'no-such-dir', 'x.wav');
    await expect(writeWav16(p, new Float32Array(4), 16000)).rejects.toThrow(/^cannot write .*x\.wav: no such directory$/);
    expect(() => new WavWriter16(p, 16000)).toThrow(UserError);
  });

  it('abort keeps an existing file untouched', async () => {
    const p = path.join(dir, 'keep.wav');
    await writeWav16(p, new Float32Array([0.25, -0.25]), 16000);
    const before = readFileSync(p);
    const w = new WavWriter16(p, 16000);
    w.write(new Float32Array(100));
    w.abort();
    expect(Buffer.compare(readFileSync(p), before)).toBe(0);
  });
});

describe.skipIf(!HAVE_SHARED)('WAV reader agrees with wav-decoder on real speech', () => {
  noteSkip('audio-wav cross-check');
  it('VCTK 48 kHz WAV: same rate, length and samples (wav-decoder scales positives by 1/32767)', async () => {
    const wavDecoder = createRequire(import.meta.url)('wav-decoder') as {
      decode(b: ArrayBuffer): Promise<{ sampleRate: number; channelData: Float32Array[] }>;
    };
    const bytes = new Uint8Array(readFileSync(path.join(SPEECH_DIR, 'other', 'p225_001.wav')));
    const ours = parseWav(bytes);
    const ref = await wavDecoder.decode(bytes.slice().buffer);
    expect(ours.sampleRate).toBe(ref.sampleRate);
    expect(ours.sampleRate).toBe(48000);
    expect(ours.channels.length).toBe(ref.channelData.length);
    const a = ours.channels[0];
    const b = ref.channelData[0];
    expect(a.length).toBe(b.length);
    let maxErr = 0;
    let energy = 0;
    for (let i = 0; i < a.length; i++) {
      const theirs = a[i] > 0 ? (a[i] * 32768) / 32767 : a[i]; // undo wav-decoder's asymmetric scale
      maxErr = Math.max(maxErr, Math.abs(theirs - b[i]));
      energy += a[i] * a[i];
    }
    expect(maxErr).toBeLessThan(1e-7);
    expect(energy).toBeGreaterThan(0);
  });
});
