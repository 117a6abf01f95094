/**
 * `nsvq-codec metrics REF DEG [--json]` end to end (runs the built CLI from dist/, which
 * `npm test` builds first): different sample rates and lengths, a delay, JSON equal to the
 * library result, and one-line errors with exit 1 for silent, too-short and missing input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { writeWav16 } from '../src/audio/wav-write.js';
import { loadSpeech } from '../src/audio/load.js';
import { scorePair } from '../src/eval/metrics.js';

/** Speech-like harmonic signal with a syllabic envelope, sampled at `rate` (same waveform at any rate). */
function speechLike(seconds: number, rate: number, delaySeconds = 0): Float32Array {
  const n = Math.round(seconds * rate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate - delaySeconds;
    if (t < 0) continue;
    const f0 = 150;
    let v = 0;
    for (let k = 1; k * f0 < 3800; k++) v += Math.sin(2 * Math.PI * k * f0 * t + k * k * 0.3) / k;
    const env = Math.max(0, Math.sin(2 * Math.PI * 3 * t)) ** 2 + 0.01;
    out[i] = 0.2 * env * v * (1 + 0.3 * Math.sin(2 * Math.PI * 0.5 * t));
  }
  return out;
}

let dir = '';
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nsvq-metrics-cli-'));
  await writeWav16(file('ref16k.wav'), speechLike(2.5, 16000), 16000);
  // Same waveform delayed by 5 ms (80 samples at 16 kHz), 0.3 s longer, stored at 48 kHz.
  const deg = speechLike(2.8, 48000, 0.005);
  for (let i = 0; i < deg.length; i++) deg[i] *= 0.8;
  await writeWav16(file('deg48k.wav'), deg, 48000);
  await writeWav16(file('silent.wav'), new Float32Array(32000), 16000);
  await writeWav16(file('short.wav'), speechLike(0.25, 16000), 16000);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nsvq-codec metrics', () => {
  it('--json: resamples to 16 kHz, finds the 80-sample delay, equals scorePair on the loaded signals', async () => {
    const r = runCli(['metrics', file('ref16k.wav'), file('deg48k.wav'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, number>;
    expect(j.lag).toBe(80);
    expect(j.lagMs).toBeCloseTo(5, 9);
    expect(j.sampleRate).toBe(16000);
    expect(j.degradedOriginalRate).toBe(48000);
    expect(j.seconds).toBeCloseTo(2.5, 9);
    // A 0.8 gain change dominates the error: pSNR ≈ −20·log10(0.2) ≈ 14 dB.
    expect(j.psnr).toBeGreaterThan(12);
    expect(j.psnr).toBeLessThan(16);
    expect(j.stoi).toBeGreaterThan(0.98);
    const ref = await loadSpeech(file('ref16k.wav'), 16000);
    const deg = await loadSpeech(file('deg48k.wav'), 16000);
    const m = scorePair(ref.samples, deg.samples, 16000);
    expect(j.lag).toBe(m.lag);
    expect(j.psnr).toBe(m.psnr);
    expect(j.stoi).toBe(m.stoi);
    expect(j.estoi).toBe(m.estoi);
  });

  it('prints lag (samples and ms), pSNR, STOI and ESTOI as text', () => {
    const r = runCli(['metrics', file('ref16k.wav'), file('ref16k.wav')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lag:\s+0 samples \(0\.000 ms/);
    expect(r.stdout).toMatch(/pSNR:\s+100\.0000 dB/);
    expect(r.stdout).toMatch(/STOI:\s+1\.000000/);
    expect(r.stdout).toMatch(/ESTOI:\s+1\.000000/);
  });

  for (const [what, args, message] of [
    ['a silent reference', ['silent.wav', 'ref16k.wav'], /silent/],
    ['input too short for STOI', ['short.wav', 'short.wav'], /at least 30 frames/],
    ['a missing file', ['nope.wav', 'ref16k.wav'], /nope\.wav/],
  ] as const) {
    it(`exits 1 with one line for ${what}`, () => {
      const r = runCli(['metrics', ...args.map(file)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});
