/**
 * The untrained envelope matrices (DESIGN §1): A averages X² over equal-width bands, B
 * interpolates band values back to bins. They are the default model's A and B and the
 * starting point that NSVQ training (issue 6) learns from.
 */

/** Bin range [start, end) of band b when `bins` bins are split into `bands` equal bands. */
export function bandEdges(bins: number, bands: number): Int32Array {
  checkDims(bins, bands);
  const edges = new Int32Array(bands + 1);
  for (let b = 0; b <= bands; b++) edges[b] = Math.round((b * bins) / bands);
  return edges;
}

/**
 * A (bands×bins, row-major): row b holds 1/width over band b's bins, so ν_b = (A·X²)_b is the
 * mean power of band b. With 320 bins of 25 Hz and 16 bands, each band is 500 Hz = 20 bins.
 */
export function defaultAnalysisMatrix(bins = 320, bands = 16): Float32Array {
  const edges = bandEdges(bins, bands);
  const a = new Float32Array(bands * bins);
  for (let b = 0; b < bands; b++) {
    const width = edges[b + 1] - edges[b];
    for (let k = edges[b]; k < edges[b + 1]; k++) a[b * bins + k] = 1 / width;
  }
  return a;
}

/**
 * B (bins×bands, row-major): linear interpolation in frequency between band centres, flat
 * (copy of the nearest band) below the first and above the last centre. Each row sums to 1,
 * so a flat envelope gives a flat variance of the same level, and a power spectrum that is
 * linear in frequency is reproduced exactly between the outer band centres.
 */
export function defaultSynthesisMatrix(bins = 320, bands = 16): Float32Array {
  const edges = bandEdges(bins, bands);
  const centres = new Float64Array(bands);
  for (let b = 0; b < bands; b++) centres[b] = (edges[b] + edges[b + 1] - 1) / 2;
  const m = new Float32Array(bins * bands);
  let b = 0; // the band whose centre is the last one ≤ k
  for (let k = 0; k < bins; k++) {
    while (b + 1 < bands && centres[b + 1] <= k) b++;
    if (k <= centres[0]) {
      m[k * bands] = 1;
    } else if (b === bands - 1) {
      m[k * bands + bands - 1] = 1;
    } else {
      const t = (k - centres[b]) / (centres[b + 1] - centres[b]);
      m[k * bands + b] = 1 - t;
      m[k * bands + b + 1] = t;
    }
  }
  return m;
}

function checkDims(bins: number, bands: number): void {
  if (!Number.isInteger(bins) || !Number.isInteger(bands) || bands < 1 || bins < bands) {
    throw new RangeError(`envelope dims must be integers with 1 ≤ bands ≤ bins (got bins=${bins}, bands=${bands})`);
  }
}
