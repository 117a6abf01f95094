/**
 * Fast pure-TypeScript trainer for the toy study's 2-D codebooks (paper §IV, Table 2; issue 13
 * part 3). The TF.js path of bench/toy.ts spends its time in per-op overhead; at the paper's
 * scale (10⁶ samples, batch 10⁴, 100 epochs, 480 runs) it was estimated at 32 h. Here each
 * method's codebook gradient is written in closed form (the same maths as src/vq/*.ts, derived
 * below and checked against the TF.js estimators in test/vq-toy-trainer.test.ts), Adam is the
 * TF.js update in float64, the search is an exact reusable cell grid, and nothing is allocated
 * per step.
 *
 * Codebook gradients of the loss L = Σ_b ‖x_b − x̂_b‖² / (B·D) (+ auxiliary loss), c = the
 * selected codeword of x:
 *  - NSVQ: x̂ − x = ‖x − c‖·v/‖v‖, so L's gradient in c is 2(c − x)/(B·D) (the noise v cancels);
 *  - DiVeQ: x̂ − x = ‖c − x‖·sg(u), ‖u‖ = 1, so again 2(c − x)/(B·D) (ε only turns u);
 *  - STE: the output gets no codebook gradient; the codebook loss ‖sg(x) − c‖²/(B·D) gives
 *    2(c − x)/(B·D); the commitment term has none;
 *  - rotation trick: the rotated output's gradient goes to x only (data here); the codebook loss
 *    is STE's, so 2(c − x)/(B·D);
 *  - SF-DiVeQ: with segment i, dither λ, a_j = ‖c_j − x‖, n̂_j = (c_j − x)/a_j,
 *    u_j = (c_j − x + ε_j)/‖c_j − x + ε_j‖, e = (1 − λ)a₀u₀ + λa₁u₁ and g = 2e/(B·D):
 *    ∂L/∂c_i = (1 − λ)(g·u₀)n̂₀ and ∂L/∂c_{i+1} = λ(g·u₁)n̂₁;
 *  - MiniBatchKmeans: no gradient; Sculley's update with scikit-learn-style reassignment, as
 *    src/vq/minibatch-kmeans.ts.
 * NSVQ and DiVeQ add the project's codebook replacement (src/vq/replacement.ts).
 */
import { Rng } from './random.js';
import { CodebookReplacer } from './replacement.js';
import { CodebookUsage } from './usage.js';

export const TOY_METHODS = ['NSVQ', 'STE', 'MiniBatchKmeans', 'DiVeQ', 'SF-DiVeQ', 'Rotation'] as const;
export type ToyMethod = (typeof TOY_METHODS)[number];

/** Squared norms are clamped here before the sqrt, as in nsvq.ts / diveq.ts. */
const TINY = 1e-30;

/**
 * Exact nearest point of a 2-D float64 point set, rebuilt in place (no allocation after the
 * constructor). Uniform square cells over the points' bounding box; the resolution adapts so that
 * occupied cells hold about two points even when the points lie on a curve. Points are stored
 * packed in cell order. A query scans its own cell, then only those of the 8 neighbouring cells
 * whose distance lower bound does not exceed the best distance so far; it is done when the
 * distance to the cells outside that 3×3 block exceeds the best distance strictly. Otherwise
 * (and for queries outside the box) rings of growing Chebyshev radius are searched with the same
 * pruning. Lower bounds are shrunk by a relative 1e-9 (the rounding of the cell assignment), so
 * equal distances are always seen: ties go to the lowest index, as search.ts.
 */
export class CellGrid2D {
  private k = 0;
  private minX = 0;
  private minY = 0;
  private cell = 1;
  private inv = 1;
  private g = 1;
  private slack = 0;
  /** Running nearest of a query (visit): index and squared distance. */
  private best = -1;
  private bestD = Infinity;
  private readonly maxCells: number;
  private readonly start: Int32Array;
  private readonly fill: Int32Array;
  private readonly cellOf: Int32Array;
  /** Packed points in cell order: px, py, original index. */
  private readonly px: Float64Array;
  private readonly py: Float64Array;
  private readonly pid: Int32Array;

  constructor(readonly maxPoints: number) {
    this.maxCells = Math.max(16, 8 * maxPoints);
    this.start = new Int32Array(this.maxCells + 1);
    this.fill = new Int32Array(this.maxCells + 1);
    this.cellOf = new Int32Array(maxPoints);
    this.px = new Float64Array(maxPoints);
    this.py = new Float64Array(maxPoints);
    this.pid = new Int32Array(maxPoints);
  }

  /** Grid side (cells per row) of the last build. */
  get side(): number {
    return this.g;
  }

  /** Index the first k points of `points` (k×2, row-major; copied into the grid). */
  build(points: Float64Array, k: number): void {
    if (k < 1 || k > this.maxPoints) throw new RangeError(`CellGrid2D: ${k} points (capacity ${this.maxPoints})`);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let j = 0; j < k; j++) {
      const x = points[2 * j], y = points[2 * j + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError('CellGrid2D: non-finite point');
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    this.k = k;
    this.minX = minX;
    this.minY = minY;
    const span = Math.max(maxX - minX, maxY - minY, 1e-30);
    this.slack = 1e-9 * (span + Math.abs(minX) + Math.abs(minY));
    const gMax = Math.max(1, Math.floor(Math.sqrt(this.maxCells)));
    let g = Math.max(1, Math.min(gMax, Math.ceil(Math.sqrt(k / 2))));
    // Refine while occupied cells hold many points (points on a curve occupy ~g cells, not g²).
    for (let pass = 0; ; pass++) {
      this.assign(points, g, span);
      if (pass === 3 || g >= gMax) break;
      let occupied = 0;
      for (let c = 0; c < g * g; c++) if (this.start[c + 1] > 0) occupied++;
      const perCell = k / occupied;
      if (perCell <= 2.5) break;
      g = Math.min(gMax, Math.ceil(g * Math.sqrt(perCell / 1.5)));
    }
    // Prefix sums → start offsets; points packed in cell order, ascending index within a cell.
    const n = g * g;
    const start = this.start;
    for (let c = 0; c < n; c++) start[c + 1] += start[c];
    const fill = this.fill;
    for (let c = 0; c <= n; c++) fill[c] = start[c];
    for (let j = 0; j < k; j++) {
      const p = fill[this.cellOf[j]]++;
      this.px[p] = points[2 * j];
      this.py[p] = points[2 * j + 1];
      this.pid[p] = j;
    }
  }

  /** Cell of every point for a g×g grid; leaves per-cell counts in start[c + 1]. */
  private assign(points: Float64Array, g: number, span: number): void {
    const { k, minX, minY } = this;
    this.g = g;
    this.cell = (span / g) * (1 + 1e-12);
    this.inv = 1 / this.cell;
    const start = this.start;
    start.fill(0, 0, g * g + 1);
    const inv = this.inv;
    for (let j = 0; j < k; j++) {
      let cx = Math.floor((points[2 * j] - minX) * inv);
      let cy = Math.floor((points[2 * j + 1] - minY) * inv);
      if (cx > g - 1) cx = g - 1;
      if (cy > g - 1) cy = g - 1;
      const c = cy * g + cx;
      this.cellOf[j] = c;
      start[c + 1]++;
    }
  }

  /** Index of the nearest point to (x, y); ties → lowest index. */
  nearest(x: number, y: number): number {
    const g = this.g;
    const tx = (x - this.minX) * this.inv;
    const ty = (y - this.minY) * this.inv;
    if (!(tx >= 0 && tx < g && ty >= 0 && ty < g)) return this.rings(x, y);
    const cx = tx | 0, cy = ty | 0;
    const { start, cell: h, slack } = this;
    this.best = -1;
    this.bestD = Infinity;
    // Own cell.
    let c = cy * g + cx;
    this.visit(start[c], start[c + 1], x, y);
    // Distances to the own cell's sides (lower bounds for the neighbours), shrunk by the slack.
    const fx = x - (this.minX + cx * h), fy = y - (this.minY + cy * h);
    let l = fx - slack, r = h - fx - slack, b = fy - slack, t = h - fy - slack;
    if (l < 0) l = 0;
    if (r < 0) r = 0;
    if (b < 0) b = 0;
    if (t < 0) t = 0;
    const l2 = l * l, r2 = r * r, b2 = b * b, t2 = t * t;
    for (let q = 0; q < 8; q++) {
      const ox = NX[q], oy = NY[q];
      const nx = cx + ox, ny = cy + oy;
      if (nx < 0 || nx >= g || ny < 0 || ny >= g) continue;
      const lb = (ox < 0 ? l2 : ox > 0 ? r2 : 0) + (oy < 0 ? b2 : oy > 0 ? t2 : 0);
      if (lb > this.bestD) continue;
      c = ny * g + nx;
      this.visit(start[c], start[c + 1], x, y);
    }
    const { best, bestD } = this;
    // Cells outside the 3×3 block are at least this far (sides at the grid border: none).
    let m = Infinity;
    if (cx > 1) m = l + h;
    if (cx < g - 2 && r + h < m) m = r + h;
    if (cy > 1 && b + h < m) m = b + h;
    if (cy < g - 2 && t + h < m) m = t + h;
    if (best >= 0 && (m === Infinity || m * m > bestD)) return best;
    return this.rings(x, y);
  }

  /** General search: rings of growing radius around the (clamped) query cell, cells pruned by bound. */
  private rings(x: number, y: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.scan(x, y);
    const { g, cell: h, minX, minY, start, slack } = this;
    let cx = Math.floor((x - minX) * this.inv);
    let cy = Math.floor((y - minY) * this.inv);
    cx = cx < 0 ? 0 : cx > g - 1 ? g - 1 : cx;
    cy = cy < 0 ? 0 : cy > g - 1 ? g - 1 : cy;
    this.best = -1;
    this.bestD = Infinity;
    for (let rr = 0; ; rr++) {
      const x0 = cx - rr, x1 = cx + rr, y0 = cy - rr, y1 = cy + rr;
      const ya = y0 < 0 ? 0 : y0, yb = y1 > g - 1 ? g - 1 : y1;
      for (let yy = ya; yy <= yb; yy++) {
        const step = yy === y0 || yy === y1 ? 1 : x1 - x0;
        const cy0 = minY + yy * h;
        let dy = cy0 - y > 0 ? cy0 - y : y - (cy0 + h) > 0 ? y - (cy0 + h) : 0;
        dy = dy > slack ? dy - slack : 0;
        for (let xx = x0; xx <= x1; xx += step) {
          if (xx < 0 || xx >= g) continue;
          const cx0 = minX + xx * h;
          let dx = cx0 - x > 0 ? cx0 - x : x - (cx0 + h) > 0 ? x - (cx0 + h) : 0;
          dx = dx > slack ? dx - slack : 0;
          if (dx * dx + dy * dy > this.bestD) continue;
          const c = yy * g + xx;
          this.visit(start[c], start[c + 1], x, y);
        }
      }
      let bound = Infinity;
      if (x0 > 0) bound = Math.min(bound, x - (minX + x0 * h));
      if (x1 < g - 1) bound = Math.min(bound, minX + (x1 + 1) * h - x);
      if (y0 > 0) bound = Math.min(bound, y - (minY + y0 * h));
      if (y1 < g - 1) bound = Math.min(bound, minY + (y1 + 1) * h - y);
      const { best, bestD } = this;
      if (bound === Infinity) return best;
      const bb = bound - slack;
      if (best >= 0 && bb > 0 && bb * bb > bestD) return best;
    }
  }

  private scan(x: number, y: number): number {
    this.best = 0;
    this.bestD = Infinity;
    this.visit(0, this.k, x, y);
    return this.best;
  }

  /** Fold the packed points p0 … p1 − 1 into the running nearest (best, bestD); ties → lowest index. */
  private visit(p0: number, p1: number, x: number, y: number): void {
    const { px, py, pid } = this;
    let { best, bestD } = this;
    for (let p = p0; p < p1; p++) {
      const dx = x - px[p], dy = y - py[p];
      const d = dx * dx + dy * dy;
      const j = pid[p];
      if (d < bestD || (d === bestD && j < best)) {
        bestD = d;
        best = j;
      }
    }
    this.best = best;
    this.bestD = bestD;
  }
}

/** The 8 neighbour offsets: sides first (their bounds are the smallest), then corners. */
const NX = Int32Array.from([-1, 1, 0, 0, -1, 1, -1, 1]);
const NY = Int32Array.from([0, 0, -1, 1, -1, -1, 1, 1]);

/**
 * Exact nearest codeword for a codebook that moves a little between searches (the trainer's
 * hot path). Built like CellGrid2D over a box that also covers the queries (`queryBox`), with
 * the positions at build time kept as anchors. For a query cell C, lazily per build:
 *   R = min over anchors a of maxdist(a, C)    (every point of C has an anchor within R),
 *   candidates(C) = { j : mindist(a_j, C) ≤ R + 2M }.
 * While every codeword is within M of its anchor (`drift` ≤ `margin`), the nearest current
 * codeword c* of a query p in C is a candidate: ‖p − c*‖ ≤ ‖p − c_R‖ ≤ R + M, so
 * mindist(a*, C) ≤ R + 2M. A query then scans its cell's candidates at their current positions
 * (ties → lowest index). The caller rebuilds when `drift(codebook)` exceeds `margin`, which also
 * covers replaced or reassigned codewords. Cells with more than CAND_CAP candidates, and queries
 * outside the box, scan the whole codebook. Distances get a relative 1e-9 slack, so equal
 * distances are never excluded.
 */
export class DriftGrid2D {
  private k = 0;
  private minX = 0;
  private minY = 0;
  private cell = 1;
  private inv = 1;
  private g = 1;
  private slack = 0;
  private build_ = 0;
  /** Allowed drift M of any codeword from its anchor before a rebuild is needed. */
  margin = 0;
  private poolUsed = 0;
  private readonly maxCells: number;
  private readonly start: Int32Array;
  private readonly fill: Int32Array;
  private readonly cellOf: Int32Array;
  private readonly ax: Float64Array;
  private readonly ay: Float64Array;
  /** Anchors packed in cell order. */
  private readonly px: Float64Array;
  private readonly py: Float64Array;
  private readonly pid: Int32Array;
  private readonly stamp: Int32Array;
  private readonly candStart: Int32Array;
  private readonly candLen: Int32Array;
  private readonly pool: Int32Array;

  /**
   * `queryBox` = [minX, minY, maxX, maxY] of the queries (e.g. the data's bounding box);
   * `marginCells` = M as a fraction of the cell side.
   */
  constructor(readonly maxPoints: number, private readonly queryBox: readonly [number, number, number, number], private readonly marginCells = 0.15) {
    this.maxCells = Math.max(64, 16 * maxPoints);
    this.start = new Int32Array(this.maxCells + 1);
    this.fill = new Int32Array(this.maxCells + 1);
    this.cellOf = new Int32Array(maxPoints);
    this.ax = new Float64Array(maxPoints);
    this.ay = new Float64Array(maxPoints);
    this.px = new Float64Array(maxPoints);
    this.py = new Float64Array(maxPoints);
    this.pid = new Int32Array(maxPoints);
    this.stamp = new Int32Array(this.maxCells);
    this.candStart = new Int32Array(this.maxCells);
    this.candLen = new Int32Array(this.maxCells);
    this.pool = new Int32Array(32 * maxPoints + 4096);
  }

  get side(): number {
    return this.g;
  }

  get builds(): number {
    return this.build_;
  }

  /** Anchor the first k points (k×2) and index them. */
  build(points: Float64Array, k: number): void {
    if (k < 1 || k > this.maxPoints) throw new RangeError(`DriftGrid2D: ${k} points (capacity ${this.maxPoints})`);
    let [minX, minY, maxX, maxY] = this.queryBox;
    for (let j = 0; j < k; j++) {
      const x = points[2 * j], y = points[2 * j + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError('DriftGrid2D: non-finite point');
      this.ax[j] = x;
      this.ay[j] = y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    this.k = k;
    this.minX = minX;
    this.minY = minY;
    const span = Math.max(maxX - minX, maxY - minY, 1e-30);
    this.slack = 1e-9 * (span + Math.abs(minX) + Math.abs(minY));
    const gMax = Math.max(1, Math.floor(Math.sqrt(this.maxCells)));
    let g = Math.max(1, Math.min(gMax, Math.ceil(Math.sqrt(k))));
    for (let pass = 0; ; pass++) {
      this.assign(g, span);
      if (pass === 3 || g >= gMax) break;
      let occupied = 0;
      for (let c = 0; c < g * g; c++) if (this.start[c + 1] > 0) occupied++;
      const perCell = k / occupied;
      if (perCell <= 1.2) break;
      g = Math.min(gMax, Math.ceil(g * Math.sqrt(perCell)));
    }
    const n = g * g;
    const start = this.start;
    for (let c = 0; c < n; c++) start[c + 1] += start[c];
    const fill = this.fill;
    for (let c = 0; c <= n; c++) fill[c] = start[c];
    for (let j = 0; j < k; j++) {
      const p = fill[this.cellOf[j]]++;
      this.px[p] = this.ax[j];
      this.py[p] = this.ay[j];
      this.pid[p] = j;
    }
    this.margin = this.marginCells * this.cell;
    this.poolUsed = 0;
    this.build_++;
  }

  private assign(g: number, span: number): void {
    const { k, minX, minY } = this;
    this.g = g;
    this.cell = (span / g) * (1 + 1e-12);
    this.inv = 1 / this.cell;
    const start = this.start;
    start.fill(0, 0, g * g + 1);
    const inv = this.inv;
    for (let j = 0; j < k; j++) {
      let cx = Math.floor((this.ax[j] - minX) * inv);
      let cy = Math.floor((this.ay[j] - minY) * inv);
      if (cx > g - 1) cx = g - 1;
      if (cy > g - 1) cy = g - 1;
      const c = cy * g + cx;
      this.cellOf[j] = c;
      start[c + 1]++;
    }
  }

  /** Largest distance of a codeword of `points` from its anchor. */
  drift(points: Float64Array): number {
    let m = 0;
    for (let j = 0; j < this.k; j++) {
      const dx = points[2 * j] - this.ax[j], dy = points[2 * j + 1] - this.ay[j];
      const d = dx * dx + dy * dy;
      if (d > m) m = d;
    }
    return Math.sqrt(m);
  }

  /** Nearest codeword of `points` (current positions, drift ≤ margin) to (x, y). */
  nearest(points: Float64Array, x: number, y: number): number {
    const g = this.g;
    const tx = (x - this.minX) * this.inv;
    const ty = (y - this.minY) * this.inv;
    if (!(tx >= 0 && tx < g && ty >= 0 && ty < g)) return this.scan(points, x, y);
    const c = (ty | 0) * g + (tx | 0);
    if (this.stamp[c] !== this.build_) this.candidates(c);
    const len = this.candLen[c];
    if (len < 0) return this.scan(points, x, y);
    const pool = this.pool;
    let best = -1;
    let bestD = Infinity;
    for (let p = this.candStart[c], e = p + len; p < e; p++) {
      const j = pool[p];
      const dx = x - points[2 * j], dy = y - points[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d < bestD || (d === bestD && j < best)) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }

  /** Candidate list of cell c from the anchors (see the class comment). */
  private candidates(c: number): void {
    const { g, cell: h, start, px, py, pid, pool } = this;
    const cx = c % g, cy = (c - cx) / g;
    const x0 = this.minX + cx * h, y0 = this.minY + cy * h, x1 = x0 + h, y1 = y0 + h;
    this.stamp[c] = this.build_;
    // R² = min over anchors of maxdist² to the cell (rings until r·h exceeds R).
    let R2 = Infinity;
    for (let r = 0; r <= g; r++) {
      if (r > 0 && r * h * (r * h) > R2) break;
      const ya = Math.max(0, cy - r), yb = Math.min(g - 1, cy + r);
      for (let yy = ya; yy <= yb; yy++) {
        const edge = yy === cy - r || yy === cy + r;
        const step = edge ? 1 : 2 * r;
        for (let xx = cx - r; xx <= cx + r; xx += step) {
          if (xx < 0 || xx >= g) continue;
          const q = yy * g + xx;
          for (let p = start[q], e = start[q + 1]; p < e; p++) {
            const dx = Math.max(Math.abs(px[p] - x0), Math.abs(px[p] - x1));
            const dy = Math.max(Math.abs(py[p] - y0), Math.abs(py[p] - y1));
            const d = dx * dx + dy * dy;
            if (d < R2) R2 = d;
          }
          if (step === 0) break;
        }
      }
    }
    const T = Math.sqrt(R2) + 2 * this.margin + 4 * this.slack;
    const T2 = T * T;
    let n = 0;
    const s0 = this.poolUsed;
    let overflow = false;
    for (let r = 0; r <= g && !overflow; r++) {
      if (r > 1 && (r - 1) * h * ((r - 1) * h) > T2) break;
      const ya = Math.max(0, cy - r), yb = Math.min(g - 1, cy + r);
      for (let yy = ya; yy <= yb && !overflow; yy++) {
        const edge = yy === cy - r || yy === cy + r;
        const step = edge ? 1 : 2 * r;
        for (let xx = cx - r; xx <= cx + r; xx += step) {
          if (xx < 0 || xx >= g) continue;
          const q = yy * g + xx;
          for (let p = start[q], e = start[q + 1]; p < e; p++) {
            const ex = px[p] < x0 ? x0 - px[p] : px[p] > x1 ? px[p] - x1 : 0;
            const ey = py[p] < y0 ? y0 - py[p] : py[p] > y1 ? py[p] - y1 : 0;
            if (ex * ex + ey * ey <= T2) {
              if (n >= CAND_CAP || s0 + n >= pool.length) {
                overflow = true;
                break;
              }
              pool[s0 + n++] = pid[p];
            }
          }
          if (overflow || step === 0) break;
        }
      }
    }
    if (overflow) {
      this.candLen[c] = -1;
      return;
    }
    this.candStart[c] = s0;
    this.candLen[c] = n;
    this.poolUsed = s0 + n;
  }

  private scan(points: Float64Array, x: number, y: number): number {
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < this.k; j++) {
      const dx = x - points[2 * j];
      const dy = y - points[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }
}

/** Longest candidate list kept per cell; longer ones scan the whole codebook. */
const CAND_CAP = 128;

/** Adam as TF.js applies it (tf.train.adam): ε added to √v̂, bias corrections by β^t. */
export class Adam64 {
  readonly m: Float64Array;
  readonly v: Float64Array;
  private accB1: number;
  private accB2: number;

  constructor(size: number, readonly lr: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-7) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.accB1 = beta1;
    this.accB2 = beta2;
  }

  /** One step on `params` with gradient `grad` (same length). */
  step(params: Float64Array, grad: Float64Array): void {
    const { m, v, beta1: b1, beta2: b2, eps, lr } = this;
    const c1 = 1 - this.accB1, c2 = 1 - this.accB2;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      const mi = (m[i] = b1 * m[i] + (1 - b1) * g);
      const vi = (v[i] = b2 * v[i] + (1 - b2) * g * g);
      params[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
    this.accB1 *= b1;
    this.accB2 *= b2;
  }
}

/**
 * SF-DiVeQ's per-sample codebook gradient (file comment) for sample (x, y) on segment i with
 * dither lam and noises (e0x, e0y), (e1x, e1y); scale = 2/(B·D). Adds to grad[i] and grad[i+1].
 */
export function addSfDiveqGradient(
  grad: Float64Array, cb: Float64Array, i: number, lam: number, x: number, y: number,
  e0x: number, e0y: number, e1x: number, e1y: number, scale: number,
): void {
  const d0x = cb[2 * i] - x, d0y = cb[2 * i + 1] - y;
  const d1x = cb[2 * i + 2] - x, d1y = cb[2 * i + 3] - y;
  const a0 = Math.sqrt(Math.max(d0x * d0x + d0y * d0y, TINY));
  const a1 = Math.sqrt(Math.max(d1x * d1x + d1y * d1y, TINY));
  const p0x = d0x + e0x, p0y = d0y + e0y, p1x = d1x + e1x, p1y = d1y + e1y;
  const q0 = Math.sqrt(Math.max(p0x * p0x + p0y * p0y, TINY));
  const q1 = Math.sqrt(Math.max(p1x * p1x + p1y * p1y, TINY));
  const u0x = p0x / q0, u0y = p0y / q0, u1x = p1x / q1, u1y = p1y / q1;
  const w0 = (1 - lam) * a0, w1 = lam * a1;
  const gx = scale * (w0 * u0x + w1 * u1x), gy = scale * (w0 * u0y + w1 * u1y);
  // ∂a/∂c = (c − x)/a where the clamp is inactive, 0 where it is (as the TF.js max's gradient).
  const s0 = d0x * d0x + d0y * d0y > TINY ? ((1 - lam) * (gx * u0x + gy * u0y)) / a0 : 0;
  const s1 = d1x * d1x + d1y * d1y > TINY ? (lam * (gx * u1x + gy * u1y)) / a1 : 0;
  grad[2 * i] += s0 * d0x;
  grad[2 * i + 1] += s0 * d0y;
  grad[2 * i + 2] += s1 * d1x;
  grad[2 * i + 3] += s1 * d1y;
}

export interface ToyTrainOptions {
  /** Codebook size K. */
  k: number;
  batch: number;
  /** Full epochs (each a fresh shuffle of all samples; the last partial batch is dropped). */
  epochs: number;
  lr: number;
  /** NSVQ / DiVeQ replacement threshold (fraction of a window's batches). */
  replacementThreshold: number;
  /** DiVeQ / SF-DiVeQ directional noise σ (only SF-DiVeQ's has an effect; DiVeQ's cancels). */
  diveqNoise: number;
  /** Seed of the epoch-e shuffle; the same for every method of a (data set, seed). */
  orderSeed: (epoch: number) => number;
  /**
   * Seed of each method's own randomness (replacement, reassignment, SF-DiVeQ dither and
   * noise). Every method gets an Rng with this same seed.
   */
  methodSeed: number;
  /** Stop after this many steps (timing probes). Default: all. */
  maxSteps?: number;
  /** Called every `progressEvery` steps with the steps done since the last call. */
  onProgress?: (steps: number) => void;
  progressEvery?: number;
}

export interface ToyTrainResult {
  method: ToyMethod;
  codebook: Float64Array;
  steps: number;
  /** Codewords replaced over the run (NSVQ / DiVeQ) or reassigned (k-means). */
  replaced: number;
  /** Steps whose search was taken from another method with a bitwise-equal codebook. */
  sharedSearches: number;
  /** Search-grid rebuilds (see DriftGrid2D). */
  gridBuilds: number;
}

/** Total steps of a run: ⌊n / B⌋ per epoch. */
export function toySteps(n: number, batch: number, epochs: number): number {
  return Math.floor(n / batch) * epochs;
}

/** One method's state in a lockstep run. */
class MethodRun {
  readonly cb: Float64Array;
  readonly idx: Int32Array;
  readonly grad: Float64Array | null;
  readonly adam: Adam64 | null;
  readonly usage: CodebookUsage | null;
  readonly replacer: CodebookReplacer | null;
  readonly kmeans: KMeansState | null;
  readonly lambda: Float64Array | null;
  readonly dithered: Float64Array | null;
  readonly grid: DriftGrid2D;
  /** SF-DiVeQ: its dithered points move every step, so a plain grid rebuilt each step. */
  readonly pointGrid: CellGrid2D | null;
  /** SF-DiVeQ: the batch's directional noises ε₀, ε₁ (4 numbers per sample). */
  readonly eps: Float64Array | null;
  readonly rng: Rng;
  replaced = 0;
  shared = 0;

  constructor(readonly method: ToyMethod, init: ArrayLike<number>, o: ToyTrainOptions, total: number, box: readonly [number, number, number, number]) {
    const k = o.k;
    this.cb = Float64Array.from(init);
    this.idx = new Int32Array(o.batch);
    this.rng = new Rng(o.methodSeed);
    const km = method === 'MiniBatchKmeans';
    const sf = method === 'SF-DiVeQ';
    if (sf && k < 2) throw new RangeError('SF-DiVeQ needs at least 2 codewords');
    this.grad = km ? null : new Float64Array(2 * k);
    this.adam = km ? null : new Adam64(2 * k, o.lr);
    const withReplacement = method === 'NSVQ' || method === 'DiVeQ';
    this.usage = withReplacement ? new CodebookUsage(k) : null;
    this.replacer = withReplacement ? new CodebookReplacer({ totalSteps: total, threshold: o.replacementThreshold }, new Rng(o.methodSeed ^ 0x5bd1e995)) : null;
    this.kmeans = km ? new KMeansState(k, o.batch, this.rng) : null;
    this.lambda = sf ? new Float64Array(k - 1) : null;
    this.dithered = sf ? new Float64Array(2 * (k - 1)) : null;
    this.grid = new DriftGrid2D(k, box);
    this.pointGrid = sf ? new CellGrid2D(k) : null;
    this.eps = sf ? new Float64Array(4 * o.batch) : null;
  }
}

function sameArray(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Train one 2-D codebook per method on data (n×2, float64), all from the same `init` (K×2,
 * copied), in lockstep: every step gathers one batch and gives it to every method, so all see
 * the same batches (a Fisher–Yates shuffle per epoch seeded by `orderSeed(epoch)`). A method
 * whose codebook is bitwise equal to that of a method searched earlier in the same step (e.g. at
 * step 1, when all start from `init`) reuses that search's indices, which are then exactly its
 * own; this saves time and changes no result.
 */
export function trainToyMethods(data: Float64Array, n: number, init: ArrayLike<number>, methods: readonly ToyMethod[], o: ToyTrainOptions): ToyTrainResult[] {
  const { k, batch: B } = o;
  if (init.length !== 2 * k) throw new RangeError(`init: length ${init.length}, expected ${k}×2`);
  if (B > n) throw new RangeError('batch larger than the data');
  const perEpoch = Math.floor(n / B);
  const total = perEpoch * o.epochs;
  const maxSteps = Math.min(total, o.maxSteps ?? Infinity);
  const order = new Int32Array(n);
  const xb = new Float64Array(2 * B);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = data[2 * i], y = data[2 * i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const box = [minX, minY, maxX, maxY] as const;
  const runs = methods.map((m) => new MethodRun(m, init, o, total, box));
  const every = o.progressEvery ?? 50;
  const scale = 2 / (B * 2);
  let step = 0;
  let reported = 0;

  outer: for (let e = 0; e < o.epochs; e++) {
    for (let i = 0; i < n; i++) order[i] = i;
    new Rng(o.orderSeed(e)).shuffle(order);
    for (let bi = 0; bi < perEpoch; bi++) {
      if (step >= maxSteps) break outer;
      step++;
      const off = bi * B;
      for (let i = 0; i < B; i++) {
        const s = order[off + i];
        xb[2 * i] = data[2 * s];
        xb[2 * i + 1] = data[2 * s + 1];
      }
      // Searches first (all codebooks as they were before this step), then the updates.
      for (let r = 0; r < runs.length; r++) {
        const run = runs[r];
        if (run.method === 'SF-DiVeQ') continue;
        let from = -1;
        for (let q = 0; q < r && from < 0; q++) if (runs[q].method !== 'SF-DiVeQ' && sameArray(runs[q].cb, run.cb)) from = q;
        if (from >= 0) {
          run.idx.set(runs[from].idx);
          run.shared++;
        } else {
          const { grid, cb } = run;
          if (grid.builds === 0 || grid.drift(cb) > grid.margin) grid.build(cb, k);
          for (let i = 0; i < B; i++) run.idx[i] = grid.nearest(cb, xb[2 * i], xb[2 * i + 1]);
        }
      }
      for (let r = 0; r < runs.length; r++) {
        const run = runs[r];
        const { cb, idx } = run;
        if (run.method === 'SF-DiVeQ') {
          sfDiveqStep(run, xb, B, k, o.diveqNoise, scale);
          continue;
        }
        if (run.kmeans) {
          run.replaced += run.kmeans.update(cb, xb, idx, B);
          continue;
        }
        const gr = run.grad as Float64Array;
        gr.fill(0);
        for (let i = 0; i < B; i++) {
          const j = idx[i];
          gr[2 * j] += scale * (cb[2 * j] - xb[2 * i]);
          gr[2 * j + 1] += scale * (cb[2 * j + 1] - xb[2 * i + 1]);
        }
        (run.adam as Adam64).step(cb, gr);
        if (run.usage && run.replacer) {
          run.usage.record(idx);
          if (run.replacer.isDue(step)) {
            const rep = run.replacer.maybeReplace(step, cb, 2, run.usage);
            if (rep) run.replaced += rep.length;
          }
        }
      }
      if (o.onProgress && step - reported >= every) {
        o.onProgress(step - reported);
        reported = step;
      }
    }
  }
  if (o.onProgress && step > reported) o.onProgress(step - reported);
  return runs.map((r) => ({ method: r.method, codebook: r.cb, steps: step, replaced: r.replaced, sharedSearches: r.shared, gridBuilds: r.grid.builds }));
}

function sfDiveqStep(run: MethodRun, xb: Float64Array, B: number, k: number, sd: number, scale: number): void {
  const { cb, rng } = run;
  const lam = run.lambda as Float64Array, pts = run.dithered as Float64Array, gr = run.grad as Float64Array;
  for (let i = 0; i < k - 1; i++) {
    const l = (lam[i] = rng.uniform());
    pts[2 * i] = (1 - l) * cb[2 * i] + l * cb[2 * i + 2];
    pts[2 * i + 1] = (1 - l) * cb[2 * i + 1] + l * cb[2 * i + 3];
  }
  const grid = run.pointGrid as CellGrid2D;
  grid.build(pts, k - 1);
  gr.fill(0);
  const eps = run.eps as Float64Array;
  for (let i = 0; i < 4 * B; i += 2) normalPair(rng, eps, i, sd);
  for (let i = 0; i < B; i++) {
    const x = xb[2 * i], y = xb[2 * i + 1];
    const seg = grid.nearest(x, y);
    run.idx[i] = seg;
    addSfDiveqGradient(gr, cb, seg, lam[seg], x, y, eps[4 * i], eps[4 * i + 1], eps[4 * i + 2], eps[4 * i + 3], scale);
  }
  (run.adam as Adam64).step(cb, gr);
}

/**
 * Two independent N(0, σ²) numbers into out[i], out[i + 1] by Marsaglia's polar method (the
 * same distribution as Rng.normal's Box–Muller, without the trigonometric calls).
 */
function normalPair(rng: Rng, out: Float64Array, i: number, sigma: number): void {
  let u: number, v: number, s: number;
  do {
    u = 2 * rng.uniform() - 1;
    v = 2 * rng.uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s === 0);
  const f = sigma * Math.sqrt((-2 * Math.log(s)) / s);
  out[i] = u * f;
  out[i + 1] = v * f;
}

/** A single method (see trainToyMethods). */
export function trainToy(data: Float64Array, n: number, init: ArrayLike<number>, method: ToyMethod, o: ToyTrainOptions): ToyTrainResult {
  return trainToyMethods(data, n, init, [method], o)[0];
}

/**
 * Sculley's mini-batch k-means with scikit-learn-style reassignment, the maths of
 * src/vq/minibatch-kmeans.ts (reassignment ratio 0.01) on a float64 codebook without per-step
 * allocation. Uses the caller's Rng for the reassignment draws, in the class's order.
 */
export class KMeansState {
  readonly counts: Float64Array;
  private sinceReassign = 0;
  private readonly low: Int32Array;
  private readonly isLow: Uint8Array;
  private readonly pick: Int32Array;

  constructor(readonly k: number, batch: number, private readonly rng: Rng, readonly reassignmentRatio = 0.01) {
    this.counts = new Float64Array(k);
    this.low = new Int32Array(k);
    this.isLow = new Uint8Array(k);
    this.pick = new Int32Array(batch);
  }

  /** Update cb (K×2, in place) with the batch assigned to idx; returns the reassigned count. */
  update(cb: Float64Array, xb: Float64Array, idx: Int32Array, n: number): number {
    const v = this.counts;
    for (let r = 0; r < n; r++) {
      const j = idx[r];
      v[j]++;
      const eta = 1 / v[j];
      cb[2 * j] += eta * (xb[2 * r] - cb[2 * j]);
      cb[2 * j + 1] += eta * (xb[2 * r + 1] - cb[2 * j + 1]);
    }
    this.sinceReassign += n;
    return this.reassignmentRatio > 0 ? this.reassign(cb, xb, n) : 0;
  }

  private reassign(cb: Float64Array, xb: Float64Array, n: number): number {
    const { k, counts: v, low, isLow, pick } = this;
    let anyZero = false;
    let max = 0;
    for (let j = 0; j < k; j++) {
      if (v[j] === 0) anyZero = true;
      if (v[j] > max) max = v[j];
    }
    if (!anyZero && this.sinceReassign < 10 * k) return 0;
    this.sinceReassign = 0;
    const limit = this.reassignmentRatio * max;
    let nLow = 0;
    for (let j = 0; j < k; j++) if (v[j] < limit) low[nLow++] = j;
    if (nLow === 0) return 0;
    const cap = Math.floor(0.5 * n);
    if (nLow > cap) {
      // The cap lowest counts (ties by index), as the class's sort.
      const sorted = Array.from(low.subarray(0, nLow)).sort((a, b) => v[a] - v[b] || a - b);
      for (let t = 0; t < cap; t++) low[t] = sorted[t];
      nLow = cap;
    }
    for (let t = 0; t < nLow; t++) isLow[low[t]] = 1;
    let minKept = Infinity;
    for (let j = 0; j < k; j++) if (!isLow[j] && v[j] < minKept) minKept = v[j];
    for (let i = 0; i < n; i++) pick[i] = i;
    for (let t = 0; t < nLow; t++) {
      const s = t + this.rng.int(n - t);
      const tmp = pick[t];
      pick[t] = pick[s];
      pick[s] = tmp;
      const j = low[t];
      cb[2 * j] = xb[2 * pick[t]];
      cb[2 * j + 1] = xb[2 * pick[t] + 1];
      v[j] = Number.isFinite(minKept) ? minKept : 0;
    }
    for (let t = 0; t < nLow; t++) isLow[low[t]] = 0;
    return nLow;
  }
}

/** MSE (mean over elements) to the nearest codeword over all n samples, and unused codewords. */
export function evaluateToy(data: Float64Array, n: number, cb: Float64Array, k: number): { mse: number; dead: number } {
  const grid = new CellGrid2D(k);
  grid.build(cb, k);
  const used = new Uint8Array(k);
  let se = 0;
  for (let r = 0; r < n; r++) {
    const x = data[2 * r], y = data[2 * r + 1];
    const j = grid.nearest(x, y);
    used[j] = 1;
    const dx = x - cb[2 * j], dy = y - cb[2 * j + 1];
    se += dx * dx + dy * dy;
  }
  let dead = 0;
  for (let j = 0; j < k; j++) if (!used[j]) dead++;
  return { mse: se / (2 * n), dead };
}

/** FNV-1a hash of the parts joined by '|' (seeds of the toy study's data, starts and orders). */
export function toySeed(...parts: (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join('|')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}
