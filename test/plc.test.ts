/**
 * Packet-loss concealment (issue 14): loss patterns, the Decoder's concealment (determinism,
 * lossless decoding unchanged, continuity at recovery, edge cases), the Ogg Opus dropper used by
 * bench:plc, and the CLI options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import { readHeader } from '../src/coding/container.js';
import { lossMask, maskStats, parseLostFrames } from '../src/codec/loss-pattern.js';
import { DEFAULT_CONCEALMENT } from '../src/codec/concealment.js';
import { loadModel, type CodecModel } from '../src/model/codec-model.js';
import { lowOverlapWindow } from '../src/dsp/window.js';
import { dropOpusPackets, oggCrc } from '../src/eval/ogg-loss.js';
import { UserError } from '../src/errors.js';
import { mulberry32 } from './helpers/signals.js';
import { runCli } from './helpers/cli.js';

const FS = 16000;
const N = 320;

/** Voiced, speech-like test signal: harmonics of a gliding f0 under a syllable envelope, with short noise bursts. */
function voiced(seconds: number, seed = 3): Float32Array {
  const n = Math.round(seconds * FS);
  const x = new Float32Array(n);
  const rnd = mulberry32(seed);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / FS;
    const f0 = 130 * (1 + 0.05 * Math.sin(2 * Math.PI * 3 * t));
    phase += (2 * Math.PI * f0) / FS;
    let v = 0;
    for (let h = 1; h * f0 < 6000; h++) v += Math.sin(h * phase + 0.4 * h * h) / (h * (1 + ((h * f0) / 1200) ** 2));
    const env = 0.3 + 0.7 * Math.max(0, Math.sin(2 * Math.PI * 1.3 * t)) ** 0.5;
    x[i] = 0.35 * env * v + ((t % 0.8) > 0.72 ? 0.06 * (rnd() * 2 - 1) : 0);
  }
  return x;
}

const peak = (y: ArrayLike<number>, a = 0, b = y.length): number => {
  let m = 0;
  for (let i = a; i < b; i++) m = Math.max(m, Math.abs(y[i]));
  return m;
};
const allFinite = (y: Float32Array): boolean => y.every((v) => Number.isFinite(v));
const frameCountOf = (bytes: Uint8Array): number => readHeader(bytes).header.frameCount;

describe('loss patterns', () => {
  it('are deterministic for a seed and reach the asked rate', () => {
    const a = lossMask({ kind: 'random', rate: 0.1, seed: 7 }, 200_000);
    expect(lossMask({ kind: 'random', rate: 0.1, seed: 7 }, 200_000)).toEqual(a);
    expect(lossMask({ kind: 'random', rate: 0.1, seed: 8 }, 200_000)).not.toEqual(a);
    expect(maskStats(a).lost / a.length).toBeCloseTo(0.1, 2);
    const b = lossMask({ kind: 'burst', rate: 0.1, meanBurst: 3, seed: 7 }, 200_000);
    expect(lossMask({ kind: 'burst', rate: 0.1, meanBurst: 3, seed: 7 }, 200_000)).toEqual(b);
    const s = maskStats(b);
    expect(s.lost / b.length).toBeCloseTo(0.1, 2);
    expect(s.lost / s.bursts).toBeGreaterThan(2.8); // geometric bursts of mean 3
    expect(s.lost / s.bursts).toBeLessThan(3.2);
    expect(lossMask({ kind: 'random', rate: 0, seed: 1 }, 50).every((v) => v === 0)).toBe(true);
  });

  it('read frame lists and reject bad ones in one line', () => {
    expect(parseLostFrames('0 3-5, 9 # comment\n\n12\n', 'f')).toEqual([0, 3, 4, 5, 9, 12]);
    expect(() => parseLostFrames('1\n2 x\n', 'lost.txt')).toThrow(/^lost\.txt:2: 'x' is not a frame index/);
    expect(() => parseLostFrames('5-2', 'f')).toThrow(UserError);
    expect(() => lossMask({ kind: 'list', frames: [3, 10] }, 10)).toThrow(/frame 10 is beyond the stream's 10 frames/);
    expect(() => lossMask({ kind: 'random', rate: 1, seed: 1 }, 10)).toThrow(UserError);
    expect(() => lossMask({ kind: 'burst', rate: 0.1, meanBurst: 0.5, seed: 1 }, 10)).toThrow(UserError);
  });
});

describe('concealment in the decoder', () => {
  let model: CodecModel;
  let x: Float32Array;
  let bytes: Uint8Array;
  let clean: Float32Array;
  let frames: number;
  beforeAll(() => {
    model = loadModel();
    x = voiced(2);
    bytes = encodeSpeech(model, x, 13200);
    clean = decodeSpeech(model, bytes).samples;
    frames = frameCountOf(bytes);
  });
  const decodeWith = (lost: number[]): Float32Array => {
    const mask = new Uint8Array(frames);
    for (const j of lost) mask[j] = 1;
    return decodeSpeech(model, bytes, mask).samples;
  };

  it('leaves lossless decoding bit-identical and is deterministic for a seed', () => {
    expect(decodeSpeech(model, bytes, new Uint8Array(frames)).samples).toEqual(clean);
    const m = lossMask({ kind: 'burst', rate: 0.2, meanBurst: 3, seed: 4 }, frames);
    const a = decodeSpeech(model, bytes, m).samples;
    expect(decodeSpeech(model, bytes, m).samples).toEqual(a);
    expect(allFinite(a)).toBe(true);
    expect(a).not.toEqual(clean);
    // Before the loss the output is exact; from the second good frame after it, only the noise
    // fill's random signs differ (its generator skipped the lost frame), so the level is the same.
    const y = decodeWith([40]);
    expect(y.subarray(0, (40 - 1) * N)).toEqual(clean.subarray(0, (40 - 1) * N));
    const after = (41 - 1) * N + N; // output of frame 42 onward (frame j gives signal from (j−1)·N)
    const energy = (v: Float32Array): number => v.subarray(after).reduce((s, t) => s + t * t, 0);
    expect(energy(y) / energy(clean)).toBeGreaterThan(0.95);
    expect(energy(y) / energy(clean)).toBeLessThan(1.05);
  });

  it('conceals after random frame bytes (any byte string decodes) with finite output', () => {
    const junk = Uint8Array.from(bytes);
    const rnd = mulberry32(11);
    for (let i = junk.length - 33 * 60; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
    const y = decodeSpeech(model, junk, lossMask({ kind: 'random', rate: 0.3, seed: 2 }, frames)).samples;
    expect(allFinite(y)).toBe(true);
  });

  it('continues a voiced signal instead of leaving a hole', () => {
    const y = decodeWith([50]);
    const a = (50 - 1) * N + 80;
    const rmsOf = (v: Float32Array): number => Math.sqrt(v.subarray(a, a + 240).reduce((s, t) => s + t * t, 0) / 240);
    expect(rmsOf(y)).toBeGreaterThan(0.3 * rmsOf(clean));
    expect(rmsOf(y)).toBeLessThan(1.5 * rmsOf(clean));
  });

  it('recovers continuously: no step at the recovery overlap above the bound from the window', () => {
    // Frame j lost, j+1 good. Over the 10 ms overlap R where the concealed frame's tail meets the
    // good frame's head, TDAC gives y = w_f²·c + w_r²·x ± w_f·w_r·(c(m) − x(m)) with c the output if
    // the loss had gone on (frames j, j+1 lost), x the clean output and m the sample mirrored about
    // R's centre. With w_f² + w_r² = 1, w_f·w_r ≤ ½ and each window product changing by at most
    // π/320 per sample (a sine rise over 160 samples), the step of y is bounded by
    //   |Δy| ≤ 1.5·(max|Δc| + max|Δx|) + 2·(π/320)·(max|c| + max|x|)   over R.
    // Outside R y equals c (before) or x (after), so the same bound holds over the whole frame.
    const w = lowOverlapWindow(N);
    let riseMax = 0;
    for (let i = 81; i < 240; i++) riseMax = Math.max(riseMax, Math.abs(w[i] ** 2 - w[i - 1] ** 2));
    expect(riseMax).toBeLessThanOrEqual(Math.PI / 320 + 1e-12);
    for (const j of [30, 47, 61, 75]) {
      const y = decodeWith([j]);
      const c = decodeWith([j, j + 1]);
      const b = j * N; // first output sample of frame j+1 (signal index)
      const lo = b - 1;
      const hi = b + N;
      const step = (v: Float32Array): number => {
        let m = 0;
        for (let i = lo + 1; i < hi; i++) m = Math.max(m, Math.abs(v[i] - v[i - 1]));
        return m;
      };
      const bound = 1.5 * (step(c) + step(clean)) + 2 * (Math.PI / 320) * (peak(c, lo, hi) + peak(clean, lo, hi));
      expect(step(y)).toBeLessThanOrEqual(bound);
      expect(allFinite(y)).toBe(true);
    }
  });

  it('handles a lost first frame, loss at the end and all frames lost', () => {
    // "No click above the speech level": the clean decoding's peak, with 5 % for the harmonic
    // post-filter, whose smoothing of a changed onset can land a few per cent higher; a click is
    // a multiple of it.
    const level = 1.05 * peak(clean);
    const first = decodeWith([0]);
    expect(allFinite(first)).toBe(true);
    expect(peak(first)).toBeLessThanOrEqual(level);
    const firstTwo = decodeWith([0, 1, 2]);
    expect(allFinite(firstTwo)).toBe(true);
    expect(peak(firstTwo, 0, 2 * N)).toBeLessThanOrEqual(peak(clean, 0, 2 * N) + 1e-6);
    const end = decodeWith([frames - 3, frames - 2, frames - 1]);
    expect(allFinite(end)).toBe(true);
    expect(peak(end)).toBeLessThanOrEqual(level);
    const all = decodeSpeech(model, bytes, new Uint8Array(frames).fill(1)).samples;
    expect(all.length).toBe(x.length);
    expect(peak(all)).toBe(0);
    // A long burst fades to silence within fadeEndMs (140 ms; plus the window's 10 ms).
    const long = decodeWith(Array.from({ length: 20 }, (_, i) => 40 + i));
    const silentFrom = (40 - 1) * N + 80 + 16 * DEFAULT_CONCEALMENT.fadeEndMs + 160;
    expect(silentFrom).toBeLessThan((60 - 1) * N - N);
    expect(peak(long, silentFrom, (60 - 1) * N)).toBe(0);
    expect(peak(long, silentFrom - 3 * N, silentFrom - N)).toBeGreaterThan(0);
  });

  it('does not repeat a transient: a loss right after a click stays far below it', () => {
    const z = new Float32Array(FS);
    const rnd = mulberry32(9);
    for (let i = 8000; i < 8160; i++) z[i] = 0.8 * (rnd() * 2 - 1); // 10 ms burst in silence
    const zb = encodeSpeech(model, z, 13200);
    const zc = decodeSpeech(model, zb).samples;
    const fc = frameCountOf(zb);
    // Frame j covers signal [(j−1)·N + 80, (j−1)·N + 560): frame 25 holds the burst, 24 is silent.
    const mask = new Uint8Array(fc);
    for (let j = 26; j < 30; j++) mask[j] = 1;
    const zy = decodeSpeech(model, zb, mask).samples;
    expect(allFinite(zy)).toBe(true);
    expect(peak(zy)).toBeLessThanOrEqual(peak(zc) + 1e-6);
    // After the burst's own frame (its window ends at signal 24·N + 560) the concealment stays 20 dB down.
    expect(peak(zy, 24 * N + 560, 30 * N)).toBeLessThan(0.1 * peak(zc));
  });
});

describe('Ogg Opus packet dropping (bench:plc)', () => {
  /** One Ogg page with the given packets (each < 255 bytes), CRC filled in. */
  function page(seq: number, flags: number, granule: number, packets: Uint8Array[]): Uint8Array {
    const body = packets.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(27 + packets.length + body);
    out.set([0x4f, 0x67, 0x67, 0x53, 0, flags], 0);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(6, BigInt(granule), true);
    dv.setUint32(14, 0x1234, true);
    dv.setUint32(18, seq, true);
    out[26] = packets.length;
    packets.forEach((p, i) => (out[27 + i] = p.length));
    let o = 27 + packets.length;
    for (const p of packets) {
      out.set(p, o);
      o += p.length;
    }
    dv.setUint32(22, oggCrc(out), true);
    return out;
  }

  it('computes the Ogg CRC (CRC-32/CKSUM without its final XOR) and replaces lost packets by their TOC byte', () => {
    expect(oggCrc(new TextEncoder().encode('123456789'))).toBe((0x765e7680 ^ 0xffffffff) >>> 0);
    const head = new TextEncoder().encode('OpusHead\x01\x01\x38\x01\x80\x3e\x00\x00\x00\x00\x00');
    const tags = new TextEncoder().encode('OpusTags\x00\x00\x00\x00\x00\x00\x00\x00');
    const audio = [Uint8Array.of(0x7b, 1, 2, 3), Uint8Array.of(0x7e, 4, 5), Uint8Array.of(0x79, 6)];
    const file = Buffer.concat([page(0, 2, 0, [head]), page(1, 0, 0, [tags]), page(2, 4, 2880, audio)]);
    const same = dropOpusPackets(file, new Uint8Array(3));
    expect(Buffer.from(same.file).equals(file)).toBe(true);
    expect(same.packets).toBe(3);
    const dropped = dropOpusPackets(file, Uint8Array.of(0, 1, 0)).file;
    const p = dropped.subarray(dropped.length - (27 + 3 + 4 + 1 + 2));
    expect([...p.subarray(27, 30)]).toEqual([4, 1, 2]);
    expect([...p.subarray(30)]).toEqual([0x7b, 1, 2, 3, 0x7c, 0x79, 6]);
    const crc = new DataView(p.buffer, p.byteOffset).getUint32(22, true);
    const zeroed = Uint8Array.from(p);
    zeroed.fill(0, 22, 26);
    expect(crc).toBe(oggCrc(zeroed));
  });
});

describe('loss options on the command line', () => {
  let dir = '';
  let bin = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'nsvq-plc-'));
    bin = path.join(dir, 'a.bin');
    writeFileSync(bin, encodeSpeech(loadModel(), voiced(0.6), 9600));
    writeFileSync(path.join(dir, 'lost.txt'), '1 4-6 # a burst\n');
    writeFileSync(path.join(dir, 'bad.txt'), '1 two\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes with concealment and reports what it concealed', () => {
    const out = path.join(dir, 'a.wav');
    let r = runCli(['decode', bin, out, '--loss-rate', '20%', '--loss-seed', '3']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^nsvq-codec: concealed \d+ of 31 frames/);
    r = runCli(['decode', bin, out, '--lost-frames', path.join(dir, 'lost.txt')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/concealed 4 of 31 frames \(2 bursts, longest 3\)/);
    r = runCli(['decode', bin, out, '--loss-rate', '0.1', '--loss-burst', '3']);
    expect(r.code).toBe(0);
  });

  it('rejects bad loss options in one line with exit 1', () => {
    const out = path.join(dir, 'b.wav');
    const cases: [string[], RegExp][] = [
      [['--loss-rate', '1.5'], /--loss-rate must be a loss rate in \[0, 1\)/],
      [['--loss-rate', 'x'], /--loss-rate must be/],
      [['--loss-burst', '3'], /--loss-burst needs --loss-rate/],
      [['--loss-rate', '0.1', '--loss-burst', '0.5'], /--loss-burst must be a mean burst length/],
      [['--loss-rate', '0.1', '--loss-seed', '-2'], /--loss-seed must be an integer/],
      [['--lost-frames', path.join(dir, 'none.txt')], /--lost-frames: no such file/],
      [['--lost-frames', path.join(dir, 'bad.txt')], /bad\.txt:1: 'two' is not a frame index/],
      [['--lost-frames', path.join(dir, 'lost.txt'), '--loss-rate', '0.1'], /cannot be combined/],
    ];
    for (const [args, re] of cases) {
      const r = runCli(['decode', bin, out, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
    const e = runCli(['eval', '-d', dir, '-o', path.join(dir, 'rep'), '--loss', '0.1,150%']);
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/--loss must be a loss rate/);
  });
});
