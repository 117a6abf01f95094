/**
 * The NSVQ paper's Table 2 (Vali & Bäckström, IEEE Access 2022): mean and standard deviation of
 * the MSE over five experiments, per bit rate, method and data set, as printed.
 */
import type { ToyDataset } from '../src/vq/toy-data.js';

export const PAPER_METHODS = ['MiniBatchKmeans', 'STE', 'NSVQ'] as const;
export type PaperMethod = (typeof PAPER_METHODS)[number];

type Cell = Record<ToyDataset, number>;
export const PAPER_TABLE2: Record<number, Record<PaperMethod, { mean: Cell; std: Cell }>> = {
  6: {
    MiniBatchKmeans: { mean: { blobs: 88.35e-3, circles: 101.88e-3, moons: 57.52e-3, 'swiss-roll': 11.02e-2 }, std: { blobs: 18.88e-4, circles: 8.27e-3, moons: 29.8e-4, 'swiss-roll': 87.92e-4 } },
    STE: { mean: { blobs: 86.07e-3, circles: 193.58e-3, moons: 117.36e-3, 'swiss-roll': 18.23e-2 }, std: { blobs: 25.82e-4, circles: 32.75e-3, moons: 148.75e-4, 'swiss-roll': 265.58e-4 } },
    NSVQ: { mean: { blobs: 85.01e-3, circles: 94.59e-3, moons: 61.75e-3, 'swiss-roll': 10.38e-2 }, std: { blobs: 19.69e-4, circles: 10.89e-3, moons: 31.25e-4, 'swiss-roll': 79.45e-4 } },
  },
  8: {
    MiniBatchKmeans: { mean: { blobs: 23.8e-3, circles: 12.23e-3, moons: 83.9e-4, 'swiss-roll': 12.22e-3 }, std: { blobs: 20.14e-5, circles: 63.41e-5, moons: 7.19e-5, 'swiss-roll': 22.29e-5 } },
    STE: { mean: { blobs: 22.8e-3, circles: 37.17e-3, moons: 227.64e-4, 'swiss-roll': 38.02e-3 }, std: { blobs: 36.67e-5, circles: 631.63e-5, moons: 58.29e-5, 'swiss-roll': 411.05e-5 } },
    NSVQ: { mean: { blobs: 22.36e-3, circles: 12.54e-3, moons: 79.13e-4, 'swiss-roll': 11.66e-3 }, std: { blobs: 14.35e-5, circles: 105.38e-5, moons: 6.5e-5, 'swiss-roll': 80.45e-5 } },
  },
  10: {
    MiniBatchKmeans: { mean: { blobs: 60.92e-4, circles: 32.47e-4, moons: 24.22e-4, 'swiss-roll': 33.17e-4 }, std: { blobs: 46.61e-6, circles: 3.89e-5, moons: 2.22e-5, 'swiss-roll': 3.41e-5 } },
    STE: { mean: { blobs: 61.91e-4, circles: 83.79e-4, moons: 69.83e-4, 'swiss-roll': 87.87e-4 }, std: { blobs: 28.1e-6, circles: 21.46e-5, moons: 14.84e-5, 'swiss-roll': 5.49e-5 } },
    NSVQ: { mean: { blobs: 57.17e-4, circles: 31.47e-4, moons: 23.27e-4, 'swiss-roll': 32.07e-4 }, std: { blobs: 8.82e-6, circles: 9.58e-5, moons: 1.76e-5, 'swiss-roll': 7.49e-5 } },
  },
  12: {
    MiniBatchKmeans: { mean: { blobs: 15.56e-4, circles: 85.98e-5, moons: 63.43e-5, 'swiss-roll': 88.21e-5 }, std: { blobs: 13.99e-6, circles: 6.63e-6, moons: 1.73e-6, 'swiss-roll': 6.44e-6 } },
    STE: { mean: { blobs: 19.05e-4, circles: 283.98e-5, moons: 227.59e-5, 'swiss-roll': 300.39e-5 }, std: { blobs: 13.75e-6, circles: 67.74e-6, moons: 36.34e-6, 'swiss-roll': 14.99e-6 } },
    NSVQ: { mean: { blobs: 14.74e-4, circles: 85.69e-5, moons: 61.48e-5, 'swiss-roll': 87.02e-5 }, std: { blobs: 4.19e-6, circles: 17.47e-6, moons: 5.67e-6, 'swiss-roll': 14.28e-6 } },
  },
};

/** The paper's method with the lowest mean in a cell. */
export function paperBest(bits: number, d: ToyDataset): PaperMethod {
  let best: PaperMethod = 'NSVQ';
  for (const m of PAPER_METHODS) if (PAPER_TABLE2[bits][m].mean[d] < PAPER_TABLE2[bits][best].mean[d]) best = m;
  return best;
}
