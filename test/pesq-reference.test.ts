/**
 * WB-PESQ against the ITU-T P.862 reference implementation (P.862.2 mode): the 121 FLAC pairs of
 * shared/reference/pesq/pesq.tsv (codecs, filters, level changes, clipping, delays and a delay
 * jump, noise, reverberation, an almost silent signal) and the pesq_wb column of
 * shared/reference/pairs.tsv. The issue asks |ours − reference| ≤ 0.02 per pair and ≤ 0.005 on
 * average; the implementation agrees to about 1e-3, so a drift check holds it to 0.005 per pair
 * and 0.0005 on average as well. Pairs the reference refuses (nan) must be a UserError here.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeAudioFile } from '../src/audio/decode.js';
import { UserError } from '../src/errors.js';
import { pesqWb } from '../src/eval/pesq.js';
import { HAVE_SHARED, REFERENCE_DIR, noteSkip } from './helpers/shared.js';

interface Pair {
  reference: string;
  degraded: string;
  expected: number;
}

function readTable(file: string, refCol: string, degCol: string, valueCol: string): Pair[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`${file}: no column ${name}`);
    return i;
  };
  const [r, d, v] = [col(refCol), col(degCol), col(valueCol)];
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return { reference: f[r], degraded: f[d], expected: f[v] === 'nan' ? NaN : Number(f[v]) };
  });
}

async function mono16k(file: string): Promise<Float32Array> {
  const a = await decodeAudioFile(file);
  if (a.sampleRate !== 16000 || a.channels.length !== 1) throw new Error(`${file}: expected 16 kHz mono`);
  return a.channels[0];
}

async function check(dir: string, pairs: Pair[]): Promise<{ diffs: number[]; refused: string[] }> {
  const diffs: number[] = [];
  const refused: string[] = [];
  for (const p of pairs) {
    const ref = await mono16k(path.join(dir, p.reference));
    const deg = await mono16k(path.join(dir, p.degraded));
    if (Number.isNaN(p.expected)) {
      let err: unknown;
      try {
        pesqWb(ref, deg, 16000);
      } catch (e) {
        err = e;
      }
      expect(err, p.degraded).toBeInstanceOf(UserError);
      expect((err as Error).message).not.toContain('\n');
      refused.push(p.degraded);
      continue;
    }
    const got = pesqWb(ref, deg, 16000);
    const diff = Math.abs(got - p.expected);
    expect(diff, `${p.degraded}: ours ${got.toFixed(4)}, reference ${p.expected}`).toBeLessThanOrEqual(0.005);
    diffs.push(diff);
  }
  return { diffs, refused };
}

const mean = (v: number[]): number => v.reduce((a, x) => a + x, 0) / v.length;

if (!HAVE_SHARED) noteSkip('WB-PESQ reference pairs (pesq/pesq.tsv, pairs.tsv)');

describe.skipIf(!HAVE_SHARED)('WB-PESQ reproduces the ITU-T reference implementation', () => {
  it('all 121 pairs of pesq/pesq.tsv, and the pair it refuses', async () => {
    const dir = path.join(REFERENCE_DIR, 'pesq');
    const pairs = readTable(path.join(dir, 'pesq.tsv'), 'reference', 'degraded', 'pesq_wb');
    expect(pairs.length).toBe(122);
    const { diffs, refused } = await check(dir, pairs);
    expect(diffs.length).toBe(121);
    expect(refused).toEqual(['pairs/short.same.flac']);
    expect(Math.max(...diffs)).toBeLessThanOrEqual(0.02);
    expect(mean(diffs)).toBeLessThanOrEqual(0.0005);
  }, 300_000);

  it('the pesq_wb column of pairs.tsv (42 pairs)', async () => {
    const pairs = readTable(path.join(REFERENCE_DIR, 'pairs.tsv'), 'reference', 'degraded', 'pesq_wb');
    expect(pairs.length).toBe(42);
    const { diffs } = await check(REFERENCE_DIR, pairs);
    expect(diffs.length).toBe(42);
    expect(mean(diffs)).toBeLessThanOrEqual(0.0005);
  }, 300_000);
});
