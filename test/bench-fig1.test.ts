/** The Fig. 1 report's aggregation (bench/fig1-analysis.ts): pooled bands and paired NSVQ − X. */
import { describe, expect, it } from 'vitest';
import { bandSummaries, pairedSummaries, type Fig1Score } from '../bench/fig1-analysis.js';

function score(estimator: string, seed: number, file: string, bitrate: number, v: number): Fig1Score {
  return { estimator, seed, file, bitrate, pesq: v, psnr: 10 * v, stoi: v / 10 };
}

describe('fig1 analysis', () => {
  const scores: Fig1Score[] = [];
  for (const seed of [1, 2]) {
    for (let f = 0; f < 5; f++) {
      for (const bitrate of [8000, 32000]) {
        const base = f + (bitrate === 32000 ? 1 : 0);
        scores.push(score('nsvq', seed, `f${f}`, bitrate, base + (seed === 1 ? 0.5 : -0.1)));
        scores.push(score('ste', seed, `f${f}`, bitrate, base));
      }
    }
  }
  // A file only one estimator scored does not enter the pairs.
  scores.push(score('nsvq', 1, 'extra', 8000, 100));

  it('pools seeds and files per estimator and rate, with per-seed means', () => {
    const b = bandSummaries(scores);
    const ste8 = b.find((x) => x.estimator === 'ste' && x.bitrate === 8000 && x.metric === 'pesq');
    expect(ste8?.n).toBe(10);
    expect(ste8?.mean).toBeCloseTo(2, 12);
    // sorted 0,0,1,1,2,2,3,3,4,4; type 7: h = 9·0.025 = 0.225 (between 0 and 0), 9·0.975 = 8.775 (4 and 4)
    expect(ste8?.q025).toBe(0);
    expect(ste8?.q975).toBe(4);
    expect(ste8?.seedMeans).toEqual([{ seed: 1, mean: 2 }, { seed: 2, mean: 2 }]);
    const psnr = b.find((x) => x.estimator === 'nsvq' && x.bitrate === 32000 && x.metric === 'psnr');
    expect(psnr?.mean).toBeCloseTo(10 * (3 + 0.2), 10);
  });

  it('pairs same seed, file and rate; shares and per-seed differences', () => {
    const p = pairedSummaries(scores, 'nsvq', 'ste');
    const at8 = p.find((x) => x.bitrate === 8000 && x.metric === 'pesq');
    expect(at8?.n).toBe(10);
    expect(at8?.meanDiff).toBeCloseTo(0.2, 12);
    expect(at8?.shareHigher).toBe(0.5);
    expect(at8?.shareLower).toBe(0.5);
    expect(at8?.seedDiffs.map((s) => s.meanDiff)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(-0.1, 12)]);
    const all = p.find((x) => x.bitrate === 'all' && x.metric === 'stoi');
    expect(all?.n).toBe(20);
    expect(all?.meanDiff).toBeCloseTo(0.02, 12);
  });
});
