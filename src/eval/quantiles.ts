/**
 * Summary statistics for evaluation reports (DESIGN §4: mean and 2.5 % / 97.5 % quantiles
 * over utterances, like the paper's Figure 1).
 *
 * Quantile method: Hyndman & Fan (1996) type 7, the default of R and NumPy. For sorted
 * values v[0..n-1] and probability p, h = (n − 1)·p, and
 *   Q(p) = v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋ + 1] − v[⌊h⌋]).
 * So Q(0) = min, Q(1) = max, Q(0.5) = the usual median.
 */

export interface Summary {
  n: number;
  mean: number;
  median: number;
  /** 2.5 % quantile (type 7). */
  q025: number;
  /** 97.5 % quantile (type 7). */
  q975: number;
  min: number;
  max: number;
}

/** Type-7 quantile of values that are already sorted ascending. NaN for an empty array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile probability must be in [0, 1], got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Type-7 quantile of unsorted values (copied and sorted; input untouched). */
export function quantile(values: ArrayLike<number>, p: number): number {
  return quantileSorted(Float64Array.from(values).sort(), p);
}

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * n, mean, median, 2.5 % and 97.5 % quantiles, min and max. Non-finite values are a bug in
 * the caller (metrics are finite by contract: pSNR is capped at 100 dB), so they throw.
 */
export function summarize(values: ArrayLike<number>): Summary {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError(`summarize: non-finite value ${values[i]} at index ${i}`);
  }
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    n,
    mean: mean(values), // summed in input order, so it equals a plain loop over the rows
    median: quantileSorted(sorted, 0.5),
    q025: quantileSorted(sorted, 0.025),
    q975: quantileSorted(sorted, 0.975),
    min: n ? sorted[0] : NaN,
    max: n ? sorted[n - 1] : NaN,
  };
}
