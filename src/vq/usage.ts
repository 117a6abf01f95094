/**
 * Per-codeword usage statistics: cumulative selection counts, perplexity, and the per-window
 * "batches in which the codeword was used" counts that codebook replacement needs
 * (paper §III-C; DESIGN §2).
 */
export class CodebookUsage {
  /** Total selections of each codeword since construction (or `resetTotals`). */
  readonly counts: Float64Array;
  /** Number of batches of the current window in which each codeword was selected at least once. */
  readonly windowBatchesUsed: Int32Array;
  /** Batches recorded in the current window. */
  windowBatches = 0;
  private readonly seen: Int32Array;
  private stamp = 0;

  constructor(readonly codebookSize: number) {
    this.counts = new Float64Array(codebookSize);
    this.windowBatchesUsed = new Int32Array(codebookSize);
    this.seen = new Int32Array(codebookSize);
  }

  /** Record one batch of selected indices. Entries < 0 (masked out) are ignored. */
  record(indices: ArrayLike<number>): void {
    const s = ++this.stamp;
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (j < 0) continue;
      this.counts[j]++;
      if (this.seen[j] !== s) {
        this.seen[j] = s;
        this.windowBatchesUsed[j]++;
      }
    }
    this.windowBatches++;
  }

  /** Start a new replacement window. */
  resetWindow(): void {
    this.windowBatchesUsed.fill(0);
    this.windowBatches = 0;
  }

  resetTotals(): void {
    this.counts.fill(0);
  }

  /** Perplexity exp(H(p)) of the cumulative usage (1 … K; K = uniform use). */
  perplexity(): number {
    return perplexityOf(this.counts);
  }

  /** Codewords never selected since the totals were last reset. */
  deadCount(): number {
    let d = 0;
    for (let j = 0; j < this.codebookSize; j++) if (this.counts[j] === 0) d++;
    return d;
  }
}

/** exp(−Σ p log p) of a histogram (0 for an empty histogram). */
export function perplexityOf(counts: ArrayLike<number>): number {
  let total = 0;
  for (let j = 0; j < counts.length; j++) total += counts[j];
  if (total <= 0) return 0;
  let h = 0;
  for (let j = 0; j < counts.length; j++) {
    const p = counts[j] / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Histogram of indices into K bins. */
export function usageCounts(indices: ArrayLike<number>, k: number): Float64Array {
  const c = new Float64Array(k);
  for (let i = 0; i < indices.length; i++) if (indices[i] >= 0) c[indices[i]]++;
  return c;
}
