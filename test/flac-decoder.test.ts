import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFlacBytes, FlacStreamDecoder, joinBlocks, type FlacBlock } from '../src/audio/flac.js';
import { readFlacStreamInfo } from '../src/audio/flac-file.js';
import { decodeAudioFile } from '../src/audio/decode.js';
import { loadSpeech } from '../src/audio/load.js';
import { openSpeechStream } from '../src/audio/stream.js';
import { CorruptDataError, UserError } from '../src/errors.js';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';
import { synthSignal, type SignalKind } from './fixtures/flac/signals.js';
import { BitWriter, concat, frame, streamHead } from './fixtures/flac/flac-writer.js';
import { buildWav, interleave } from './fixtures/audio/make-wav.js';
import { runCli } from './helpers/cli.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'flac');

interface FixtureEntry { file: string; kind: SignalKind; channels: number; bits: number; rate: number; frames: number; seed: number }
const MANIFEST: FixtureEntry[] = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
/** A fixture as a plain Uint8Array (a Buffer's slice() would be a view, and mutations would leak between cases). */
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(FIXTURES, name)));

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'nsvq-flac-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Index of the first sample where `got` differs from integers `want` scaled by 2^-(bits-1), or -1. */
function firstMismatch(got: Float32Array, want: number[], bits: number): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  const scale = 2 ** (1 - bits);
  for (let i = 0; i < want.length; i++) if (got[i] !== Math.fround(want[i] * scale)) return i;
  return -1;
}

function sameChannels(a: Float32Array[], b: Float32Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let c = 0; c < a.length; c++) {
    if (a[c].length !== b[c].length) return false;
    for (let i = 0; i < a[c].length; i++) if (!Object.is(a[c][i], b[c][i])) return false;
  }
  return true;
}

/** Decode by pushing `chunk`-byte pieces. */
function decodeInChunks(bytes: Uint8Array, chunk: number): Float32Array[] {
  const dec = new FlacStreamDecoder('chunks');
  const blocks: FlacBlock[] = [];
  for (let o = 0; o < bytes.length; o += chunk) blocks.push(...dec.push(bytes.subarray(o, o + chunk)));
  blocks.push(...dec.finish());
  return joinBlocks(blocks, dec.streamInfo!.channels);
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('FLAC fixtures from the reference encoder decode to the exact input samples', () => {
  it('the fixture set covers the format features it was made for', () => {
    // The manifest's `analysis` is what `flac -a` found when the fixtures were made.
    const seen = new Set<string>();
    for (const e of MANIFEST as (FixtureEntry & { analysis: Record<string, number> })[]) for (const k of Object.keys(e.analysis)) seen.add(k);
    for (const k of ['CONSTANT', 'VERBATIM', 'FIXED order 4', 'LPC order 28', 'LPC order 9', 'wasted bits', '5-bit Rice',
      'channels INDEPENDENT', 'channels LEFT_SIDE', 'channels RIGHT_SIDE', 'channels MID_SIDE']) expect(seen).toContain(k);
    expect(new Set(MANIFEST.map((e) => e.bits))).toEqual(new Set([8, 16, 24, 32]));
  });

  for (const e of MANIFEST) {
    it(`${e.file}: ${e.channels} ch, ${e.bits} bit, ${e.rate} Hz`, async () => {
      const want = synthSignal(e.kind, e.channels, e.bits, e.frames, e.seed);
      const d = decodeFlacBytes(fixture(e.file), e.file);
      expect(d.info).toMatchObject({ sampleRate: e.rate, channels: e.channels, bitsPerSample: e.bits, totalSamples: e.frames });
      expect(d.channels.length).toBe(e.channels);
      for (let c = 0; c < e.channels; c++) expect(firstMismatch(d.channels[c], want[c], e.bits)).toBe(-1);
      // decodeAudioFile takes the same path.
      const viaFile = await decodeAudioFile(path.join(FIXTURES, e.file));
      expect(viaFile.sampleRate).toBe(e.rate);
      expect(sameChannels(viaFile.channels, d.channels)).toBe(true);
    });
  }
});

describe('hand-made streams: features the reference encoder does not emit', () => {
  it('escape-coded partitions (raw widths 0 and 5), 5-bit Rice parameters, partition order 2, 4-bit audio', () => {
    const n = 16;
    const residual = [0, 1, -2, 3, 7, -8, 5, -1, 0, 0, 0, 0, 2, -3, 1, 1];
    const sub = (w: BitWriter): void => {
      w.put(0, 1).put(0b001000, 6).put(0, 1); // FIXED order 0, no wasted bits
      w.put(1, 2).put(2, 4); // 5-bit Rice parameters, 4 partitions of 4
      w.put(2, 5); for (const v of residual.slice(0, 4)) w.rice(v, 2);
      w.put(31, 5).put(5, 5); for (const v of residual.slice(4, 8)) w.put(v, 5); // escape: 5-bit raw
      w.put(31, 5).put(0, 5); // escape with width 0: four zeros
      w.put(0, 5); for (const v of residual.slice(12)) w.rice(v, 0);
    };
    const bytes = concat(streamHead({ sampleRate: 8000, channels: 1, bits: 4, total: n }), frame({ number: 0, blockSize: n, assignment: 0, subframes: sub }));
    const d = decodeFlacBytes(bytes);
    expect(d.info.bitsPerSample).toBe(4);
    expect(firstMismatch(d.channels[0], residual, 4)).toBe(-1);
  });

  it('LPC of order 32 with 15-bit coefficients and shift 15 on 24-bit audio, checked against BigInt arithmetic', () => {
    const n = 200;
    const order = 32;
    const coefs = Array.from({ length: order }, (_, j) => (j % 2 ? -16384 : 16383) >> (j >> 3));
    // Target samples (24-bit); the residual is whatever makes the predictor hit them, so the
    // predictor sums pass 2^38 and the residuals 2^23 (escape-coded, 31 bits).
    const target = Array.from({ length: n }, (_, i) => ((i * 2654435761) % 16777216) - 8388608);
    const x = target.map(BigInt);
    const residual: number[] = [];
    let maxSum = 0n;
    for (let i = order; i < n; i++) {
      let s = 0n;
      for (let j = 0; j < order; j++) s += BigInt(coefs[j]) * x[i - 1 - j];
      if ((s < 0n ? -s : s) > maxSum) maxSum = s < 0n ? -s : s;
      residual.push(Number(x[i] - (s >> 15n)));
    }
    expect(maxSum).toBeGreaterThan(2n ** 38n); // far past int32: the sum must not wrap
    const sub = (w: BitWriter): void => {
      w.put(0, 1).put(0b100000 | (order - 1), 6).put(0, 1);
      for (const v of target.slice(0, order)) w.put(v, 24);
      w.put(14, 4).put(15, 5); // precision 15, shift 15
      for (const c of coefs) w.put(c, 15);
      w.put(1, 2).put(0, 4).put(31, 5).put(31, 5); // one escaped partition of 31-bit raw residuals
      for (const r of residual) w.put(r, 31);
    };
    const bytes = concat(streamHead({ sampleRate: 96000, channels: 1, bits: 24, total: n }), frame({ number: 0, blockSize: n, assignment: 0, subframes: sub }));
    expect(firstMismatch(decodeFlacBytes(bytes).channels[0], target, 24)).toBe(-1);
  });

  it('Rice codes of residuals at the int32 limits (5-bit parameter 30, quotients past the int32 fast path)', () => {
    // 24-bit LPC of order 1 with coefficient 256 and shift 0: the prediction 256·x[i−1] is near
    // ±2^31, so residuals reach the int32 limits while every sample stays exact in float32.
    const x = [8388607, 8388607, 8388606, 8388605, 1, -8388608, -8388608, -8388607, -1, 0];
    const residual = x.slice(1).map((v, i) => v - 256 * x[i]);
    expect(Math.max(...residual.map(Math.abs))).toBeGreaterThan(2 ** 31 - 2 ** 24);
    for (const r of residual) expect(r === (r | 0)).toBe(true);
    const sub = (w: BitWriter): void => {
      w.put(0, 1).put(0b100000, 6).put(0, 1).put(x[0], 24); // LPC order 1, warm-up sample
      w.put(14, 4).put(0, 5).put(256, 15); // precision 15, shift 0, c = 256
      w.put(1, 2).put(0, 4).put(30, 5);
      for (const r of residual) w.rice(r, 30);
    };
    const bytes = concat(streamHead({ sampleRate: 44100, channels: 1, bits: 24, total: x.length }),
      frame({ number: 0, blockSize: x.length, assignment: 0, subframes: sub }));
    expect(firstMismatch(decodeFlacBytes(bytes).channels[0], x, 24)).toBe(-1);
  });

  it('32-bit side/right stereo: the side channel is a 33-bit VERBATIM subframe', () => {
    const left = [2147483647, -2147483648, 0, -1, 123456789];
    const right = [-2147483648, 2147483647, 5, 1, -987654321];
    const side = left.map((l, i) => l - right[i]); // up to ±(2^32 − 1): needs 33 bits
    const sub = (w: BitWriter): void => {
      w.put(0, 1).put(1, 6).put(0, 1); for (const v of side) w.put(v, 33);
      w.put(0, 1).put(1, 6).put(0, 1); for (const v of right) w.put(v, 32);
    };
    const bytes = concat(streamHead({ sampleRate: 48000, channels: 2, bits: 32, total: 5 }), frame({ number: 0, blockSize: 5, assignment: 9, subframes: sub }));
    const d = decodeFlacBytes(bytes);
    expect(firstMismatch(d.channels[0], left, 32)).toBe(-1);
    expect(firstMismatch(d.channels[1], right, 32)).toBe(-1);
  });

  const silentFrame = (number: number, patch?: (w: BitWriter) => void) => frame({
    number, blockSize: 16, assignment: 0, subframes: patch ?? ((w) => { w.put(0, 1).put(0, 6).put(0, 1).put(0, 16); }),
  });
  const head16 = (total: number) => streamHead({ sampleRate: 16000, channels: 1, bits: 16, total });

  it('format violations are CorruptDataErrors that name the byte offset', () => {
    const frame0 = silentFrame(0).length;
    const cases: [string, Uint8Array, RegExp][] = [
      ['negative LPC shift', concat(head16(16), silentFrame(0, (w) => {
        w.put(0, 1).put(0b100000, 6).put(0, 1).put(0, 16).put(14, 4).put(-1, 5).put(1, 15).put(0, 2).put(0, 4).put(0, 4);
        for (let i = 0; i < 15; i++) w.rice(0, 0);
      })), /negative LPC shift at byte 50$/],
      ['reserved subframe type', concat(head16(16), silentFrame(0, (w) => { w.put(0, 1).put(0b000010, 6).put(0, 1); })), /reserved subframe type 2 at byte 50$/],
      ['reserved residual method', concat(head16(16), silentFrame(0, (w) => { w.put(0, 1).put(0b001000, 6).put(0, 1).put(2, 2); })), /reserved residual coding method/],
      ['residual over 32 bits', concat(head16(16), silentFrame(0, (w) => { w.put(0, 1).put(0b001000, 6).put(0, 1).put(1, 2).put(0, 4).put(30, 5).unary(5); })), /residual does not fit in 32 bits/],
      ['a missing frame', concat(head16(32), silentFrame(0), silentFrame(2)), new RegExp(`frame number 2, expected 1 .* at byte ${42 + frame0}$`)],
      ['frames beyond STREAMINFO', concat(head16(10), silentFrame(0)), /more than STREAMINFO's 10 samples/],
      ['garbage after the marker', concat(head16(16), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])), /no frame sync code at byte 42$/],
    ];
    for (const [label, bytes, re] of cases) {
      const err = errorOf(() => decodeFlacBytes(bytes, 'x.flac'));
      expect(err, label).toBeInstanceOf(CorruptDataError);
      expect((err as Error).message, label).toMatch(/^corrupt FLAC file: x\.flac: /);
      expect((err as Error).message, label).toMatch(re);
    }
  });

  it('CRC-8 and CRC-16 mismatches are reported with the frame offset', () => {
    const good = concat(head16(16), silentFrame(0));
    const badCrc16 = good.slice();
    badCrc16[badCrc16.length - 1] ^= 1;
    expect(() => decodeFlacBytes(badCrc16, 'a.flac')).toThrow(/^corrupt FLAC file: a\.flac: frame CRC-16 mismatch at byte 42$/);
    const badCrc8 = good.slice();
    badCrc8[42 + 6] ^= 0x40; // the 16-bit block size tail
    expect(() => decodeFlacBytes(badCrc8, 'a.flac')).toThrow(/frame header CRC-8 mismatch at byte 42$/);
    expect(decodeFlacBytes(good).channels[0].length).toBe(16);
  });

  it('an ID3v2 tag before the marker and a tag after the last frame are skipped', () => {
    const bytes = fixture('voice-1ch-16bit-16000-lpc.flac');
    const id3 = new Uint8Array(10 + 1000).fill(0x55);
    id3.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 7, 104]); // sync-safe size 7·128 + 104 = 1000
    const trailer = new Uint8Array(128).fill(0x41); // an ID3v1 'TAG' block, say
    const plain = decodeFlacBytes(bytes).channels;
    expect(sameChannels(decodeFlacBytes(concat(id3, bytes, trailer)).channels, plain)).toBe(true);
  });
});

describe('truncation and bad files', () => {
  it('a cut file gives the truncated-FLAC message with the sample counts', () => {
    const bytes = fixture('modes-2ch-16bit-44100-ms.flac');
    for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 2000]) {
      const err = errorOf(() => decodeFlacBytes(bytes.subarray(0, cut), 'cut.flac'));
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/^truncated FLAC file: cut\.flac: expected 11520 samples per channel, decoded \d+$/);
    }
    expect(() => decodeFlacBytes(bytes.subarray(0, 30), 'cut.flac')).toThrow(/^truncated FLAC file: cut\.flac: the input ends before STREAMINFO$/);
    expect(() => decodeFlacBytes(new TextEncoder().encode('RIFF....WAVE'), 'w.flac')).toThrow(/^not a FLAC file: w\.flac/);
  });

  it('unknown length (STREAMINFO total 0): decodes fully; a cut inside a frame is reported', async () => {
    const bytes = fixture('voice-2ch-16bit-44100-ams.flac').slice();
    // Total samples are the low 36 bits of STREAMINFO bytes 13..17 (file bytes 21..25).
    bytes[8 + 13] &= 0xf0;
    bytes.fill(0, 8 + 14, 8 + 18);
    const d = decodeFlacBytes(bytes);
    expect(d.info.totalSamples).toBe(0);
    expect(d.channels[0].length).toBe(4608);
    expect(() => decodeFlacBytes(bytes.subarray(0, bytes.length - 10), 'u.flac')).toThrow(/^truncated FLAC file: u\.flac: the last frame \(at byte \d+\) is incomplete$/);
    // The stream still knows its length up front (one counting pass).
    const p = path.join(dir, 'unknown-length.flac');
    writeFileSync(p, bytes);
    const st = await openSpeechStream(p);
    expect(st.originalLength).toBe(4608);
  });
});

describe('streaming', () => {
  it('chunk sizes 1, 7, 4096 and 65536 give the one-shot result, with a small buffer', () => {
    for (const name of ['modes-2ch-16bit-44100-ms.flac', 'variable-2ch-16bit-16000.flac', 'voice-1ch-8bit-11025-tagged.flac']) {
      const bytes = fixture(name);
      const whole = decodeFlacBytes(bytes).channels;
      for (const chunk of [1, 7, 4096, 65536]) expect(sameChannels(decodeInChunks(bytes, chunk), whole), `${name} in ${chunk}-byte chunks`).toBe(true);
    }
  });

  it('the buffer holds a chunk and a partial frame, not the file', () => {
    // 100 verbatim frames of 4096 16-bit samples: an 820 KB stream pushed in 64 KiB chunks.
    const n = 4096;
    const frames = Array.from({ length: 100 }, (_, k) => frame({
      number: k, blockSize: n, assignment: 0,
      subframes: (w) => { w.put(0, 1).put(1, 6).put(0, 1); for (let i = 0; i < n; i++) w.put((i * 31 + k) % 65536 - 32768, 16); },
    }));
    const bytes = concat(streamHead({ sampleRate: 16000, channels: 1, bits: 16, total: 100 * n }), ...frames);
    const dec = new FlacStreamDecoder('long');
    let peak = 0;
    let got = 0;
    for (let o = 0; o < bytes.length; o += 65536) {
      got += dec.push(bytes.subarray(o, o + 65536)).length;
      peak = Math.max(peak, dec.bufferBytes);
    }
    got += dec.finish().length;
    expect(got).toBe(100);
    expect(bytes.length).toBeGreaterThan(800_000);
    expect(peak).toBeLessThanOrEqual(2 * 65536 + 16);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('opening, iterating to the end, and stopping early leave no file descriptor open', async () => {
    const p = path.join(FIXTURES, 'modes-2ch-16bit-44100-ms.flac');
    const before = readdirSync('/proc/self/fd').length;
    await openSpeechStream(p);
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    for await (const _ of (await openSpeechStream(p)).chunks) { /* drain */ }
    expect(readdirSync('/proc/self/fd').length).toBe(before);
    for await (const _ of (await openSpeechStream(p)).chunks) break;
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('openSpeechStream streams FLAC in several chunks, equal to loadSpeech', async () => {
    const p = path.join(FIXTURES, 'modes-2ch-24bit-22050.flac');
    const whole = await loadSpeech(p);
    const st = await openSpeechStream(p);
    expect(st).toMatchObject({ originalRate: 22050, originalChannels: 2, originalLength: 6144 });
    const parts: Float32Array[] = [];
    for await (const c of st.chunks) parts.push(c.slice());
    expect(parts.length).toBeGreaterThan(1);
    const got = new Float32Array(parts.reduce((n, c) => n + c.length, 0));
    parts.reduce((o, c) => { got.set(c, o); return o + c.length; }, 0);
    expect(got.length).toBe(whole.samples.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - whole.samples[i]));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(readFlacStreamInfo(p)).toMatchObject({ sampleRate: 22050, totalSamples: 6144, minBlockSize: 1024 });
  });
});

describe('the CLI encodes FLAC through the streaming decoder', () => {
  it('a FLAC and a WAV of the same samples encode to identical bitstreams; a corrupt FLAC is exit 1', () => {
    const e = MANIFEST.find((m) => m.file === 'voice-2ch-16bit-44100-ams.flac')!;
    const ints = synthSignal(e.kind, e.channels, e.bits, e.frames, e.seed);
    const wav = path.join(dir, 'same.wav');
    writeFileSync(wav, buildWav({ formatTag: 1, channels: 2, sampleRate: e.rate, bitsPerSample: 16, data: interleave(ints, 'i16') }));
    const fromFlac = path.join(dir, 'flac.bin');
    const fromWav = path.join(dir, 'wav.bin');
    const r1 = runCli(['encode', path.join(FIXTURES, e.file), fromFlac, '--bitrate', '13.2k']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(runCli(['encode', wav, fromWav, '--bitrate', '13.2k']).code).toBe(0);
    expect(Buffer.compare(readFileSync(fromFlac), readFileSync(fromWav))).toBe(0);
    const bad = fixture(e.file).slice();
    bad[bad.length - 100] ^= 0x10;
    const badPath = path.join(dir, 'bad.flac');
    writeFileSync(badPath, bad);
    const r2 = runCli(['encode', badPath, path.join(dir, 'bad.bin'), '--bitrate', '13.2k']);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim()).toMatch(/corrupt FLAC file: .*bad\.flac: .* at byte \d+$/);
    expect(readdirSync(dir).filter((f) => f.startsWith('bad.bin') || f.includes('.bad.bin.'))).toEqual([]);
  });
});

describe('fuzz: any byte string decodes or fails with a UserError', () => {
  it('2000 truncations, bit flips, splices and random files', () => {
    const base = fixture('modes-2ch-16bit-44100-ms.flac');
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    const counts = { ok: 0, user: 0 };
    for (let t = 0; t < 2000; t++) {
      let b: Uint8Array;
      const kind = t % 5;
      if (kind === 0) b = base.subarray(0, Math.floor(rnd() * base.length));
      else if (kind === 1 || kind === 2) {
        b = base.slice();
        const flips = 1 + Math.floor(rnd() * 8);
        // Half the cases flip bits in the first 200 bytes (metadata and first frame header).
        for (let f = 0; f < flips; f++) b[Math.floor(rnd() * (kind === 1 ? 200 : b.length))] ^= 1 << Math.floor(rnd() * 8);
      } else if (kind === 3) {
        b = base.slice();
        const at = 42 + Math.floor(rnd() * (b.length - 42));
        for (let i = at; i < Math.min(b.length, at + 1 + Math.floor(rnd() * 64)); i++) b[i] = Math.floor(rnd() * 256);
      } else {
        b = new Uint8Array(Math.floor(rnd() * 3000));
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
        if (rnd() < 0.5) b.set(base.subarray(0, Math.min(b.length, 42 + Math.floor(rnd() * 40))));
      }
      try {
        const chunk = t % 7 === 0 ? 97 : 65536;
        decodeInChunks(b, chunk);
        counts.ok++;
      } catch (err) {
        if (!(err instanceof UserError)) throw new Error(`case ${t} (kind ${kind}): ${(err as Error).stack}`);
        expect((err as Error).message).not.toContain('\n');
        counts.user++;
      }
    }
    expect(counts.ok + counts.user).toBe(2000);
    expect(counts.user).toBeGreaterThan(1000);
  });
});

describe.skipIf(!HAVE_SHARED)('every FLAC in ../shared/speech equals node-web-audio-api exactly', () => {
  noteSkip('flac-decoder shared speech');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.flac')) files.push(p);
    }
  };
  if (HAVE_SHARED) walk(SPEECH_DIR);
  files.sort();

  it(`${files.length} files: same length, every sample bit-identical (not merely within 1 ulp)`, async () => {
    expect(files.length).toBeGreaterThan(0);
    const { OfflineAudioContext } = (await import('node-web-audio-api' as string)) as {
      OfflineAudioContext: new (c: number, n: number, r: number) => {
        decodeAudioData(b: ArrayBuffer): Promise<{ length: number; numberOfChannels: number; getChannelData(c: number): Float32Array }>;
      };
    };
    for (const f of files) {
      const bytes = readFileSync(f);
      const ours = decodeFlacBytes(bytes, f);
      const ref = await new OfflineAudioContext(1, 1, ours.info.sampleRate).decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      expect(ref.numberOfChannels, f).toBe(ours.channels.length);
      expect(ref.length, f).toBe(ours.channels[0].length);
      for (let c = 0; c < ref.numberOfChannels; c++) {
        const r = ref.getChannelData(c);
        const o = ours.channels[c];
        let bad = -1;
        for (let i = 0; i < r.length; i++) if (!Object.is(r[i], o[i])) { bad = i; break; }
        expect(bad, `${f} channel ${c}`).toBe(-1);
      }
    }
  });
});
