/**
 * The training order of the streaming loader (issue 6: 100-hour runs with bounded memory), as
 * pure index arithmetic over per-file active-frame counts; no feature data is touched here.
 *
 * Epoch e:
 *  1. the training files are permuted by Rng(mixSeed(seed, e, FILE_SALT));
 *  2. their active frames, in that file order and in time order within a file, form the epoch
 *     stream of T frames;
 *  3. the stream is cut into windows of M frames (`--shuffle-frames`; the last one is shorter),
 *     and window w is permuted by Rng(mixSeed(seed, e, w, WINDOW_SALT));
 *  4. the epoch sequence is window 0 permuted, then window 1 permuted, …; batch b is positions
 *     [b·B, (b+1)·B) of it.
 * So every active frame appears exactly once per epoch, each batch mixes frames of the ~M/650
 * files of its window (a random subset of speakers, redrawn every epoch), and (seed, e, b) alone
 * fixes batch b: a resumed run needs only (epoch, batch) and reads only the window(s) it is in.
 * When T ≤ M there is one window, a full permutation of all frames every epoch (as before the
 * streaming loader, but a different permutation); the file order is then left as it is, since
 * the window permutation alone decides the order, and the loader can keep one copy of the frames.
 */
import { Rng } from '../vq/random.js';
import { mixSeed } from './trainer.js';

const FILE_SALT = 0xf11e;
const WINDOW_SALT = 0x5f1e;

/** Rows [from, to) of the active frames of file `file` (an index into the counts). */
export interface StreamSlice {
  file: number;
  from: number;
  to: number;
}

export class EpochPlan {
  /** Active frames in one epoch (all training frames). */
  readonly total: number;
  /** Frames per shuffle window (M, at most the total). */
  readonly windowFrames: number;
  private cachedEpoch = -1;
  private order: Int32Array = new Int32Array(0);
  /** Stream offset of each file of `order` (prefix sums), for window lookups by bisection. */
  private starts: Float64Array = new Float64Array(0);

  constructor(private readonly activeCounts: readonly number[], readonly seed: number, shuffleFrames: number) {
    if (!Number.isInteger(shuffleFrames) || shuffleFrames < 1) throw new RangeError('shuffle window must be a positive integer');
    let total = 0;
    for (const c of activeCounts) {
      if (!Number.isInteger(c) || c < 0) throw new RangeError('active frame counts must be non-negative integers');
      total += c;
    }
    this.total = total;
    this.windowFrames = Math.max(1, Math.min(shuffleFrames, total));
  }

  get windowsPerEpoch(): number {
    return Math.ceil(this.total / this.windowFrames);
  }

  /** Frames of window w (M, or the rest for the last window). */
  windowSize(w: number): number {
    return Math.min(this.windowFrames, this.total - w * this.windowFrames);
  }

  /** The file order of epoch e (a permutation of file indices). */
  fileOrder(epoch: number): Int32Array {
    this.ensureEpoch(epoch);
    return this.order;
  }

  private ensureEpoch(epoch: number): void {
    if (epoch === this.cachedEpoch) return;
    const n = this.activeCounts.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.windowsPerEpoch > 1) new Rng(mixSeed(this.seed, epoch, FILE_SALT)).shuffle(order);
    const starts = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) starts[i + 1] = starts[i] + this.activeCounts[order[i]];
    this.order = order;
    this.starts = starts;
    this.cachedEpoch = epoch;
  }

  /** The file row ranges that make up window w of epoch e, in stream order. */
  windowSlices(epoch: number, w: number): StreamSlice[] {
    if (w < 0 || w >= this.windowsPerEpoch) throw new RangeError(`window ${w} outside 0…${this.windowsPerEpoch - 1}`);
    this.ensureEpoch(epoch);
    const p0 = w * this.windowFrames;
    const p1 = p0 + this.windowSize(w);
    // First file whose stream range ends after p0.
    let lo = 0;
    let hi = this.order.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid + 1] <= p0) lo = mid + 1;
      else hi = mid;
    }
    const out: StreamSlice[] = [];
    for (let i = lo; i < this.order.length && this.starts[i] < p1; i++) {
      const s = this.starts[i];
      const count = this.starts[i + 1] - s;
      if (count === 0) continue;
      out.push({ file: this.order[i], from: Math.max(0, p0 - s), to: Math.min(count, p1 - s) });
    }
    return out;
  }

  /** Permutation of window w of epoch e: position i of the window's sequence is stream row perm[i]. */
  windowPermutation(epoch: number, w: number): Int32Array {
    const p = new Int32Array(this.windowSize(w));
    for (let i = 0; i < p.length; i++) p[i] = i;
    new Rng(mixSeed(this.seed, epoch, w, WINDOW_SALT)).shuffle(p);
    return p;
  }
}
