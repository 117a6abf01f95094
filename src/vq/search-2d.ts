/**
 * Exact nearest codeword in two dimensions with a uniform grid (cell lists), for the toy study
 * (2-D data, up to 4096 codewords) where a full scan per sample would dominate training time.
 * Same definition as search.ts: d = (x₀ − c₀)² + (x₁ − c₁)² in float64, ties → lowest index.
 *
 * Cells are visited in rings of growing Chebyshev radius around the query's cell. After each
 * ring, every unvisited codeword lies outside the visited block of cells, so its distance is at
 * least the distance from the query to the block's open sides; the search stops once that bound
 * (shrunk by a relative 1e-9 to absorb the rounding of the cell assignment) exceeds the best
 * distance strictly. Equal distances are therefore always seen and resolved by index.
 */
export class Grid2D {
  private readonly minX: number;
  private readonly minY: number;
  private readonly cell: number;
  private readonly g: number;
  private readonly start: Int32Array;
  private readonly items: Int32Array;
  private readonly slack: number;

  constructor(private readonly codebook: Float32Array, private readonly k: number) {
    if (k < 1) throw new RangeError('codebook is empty');
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let j = 0; j < k; j++) {
      const x = codebook[2 * j], y = codebook[2 * j + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError('Grid2D: non-finite codeword');
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    const g = Math.max(1, Math.ceil(Math.sqrt(k / 2)));
    const span = Math.max(maxX - minX, maxY - minY, 1e-30);
    this.minX = minX;
    this.minY = minY;
    this.cell = (span / g) * (1 + 1e-12);
    this.g = g;
    this.slack = 1e-9 * (span + Math.abs(minX) + Math.abs(minY));
    const cellOf = new Int32Array(k);
    const count = new Int32Array(g * g + 1);
    for (let j = 0; j < k; j++) {
      const cx = Math.min(g - 1, Math.floor((codebook[2 * j] - minX) / this.cell));
      const cy = Math.min(g - 1, Math.floor((codebook[2 * j + 1] - minY) / this.cell));
      cellOf[j] = cy * g + cx;
      count[cellOf[j] + 1]++;
    }
    for (let c = 0; c < g * g; c++) count[c + 1] += count[c];
    this.start = count.slice();
    const fill = count.slice();
    this.items = new Int32Array(k);
    for (let j = 0; j < k; j++) this.items[fill[cellOf[j]]++] = j; // ascending j within a cell
  }

  nearest(x: number, y: number): number {
    const { g, cell, minX, minY, codebook, start, items } = this;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.scan(x, y);
    const cx = Math.max(0, Math.min(g - 1, Math.floor((x - minX) / cell)));
    const cy = Math.max(0, Math.min(g - 1, Math.floor((y - minY) / cell)));
    let best = -1;
    let bestD = Infinity;
    for (let r = 0; ; r++) {
      const x0 = cx - r, x1 = cx + r, y0 = cy - r, y1 = cy + r;
      for (let yy = Math.max(0, y0); yy <= Math.min(g - 1, y1); yy++) {
        const edgeRow = yy === y0 || yy === y1;
        const step = edgeRow ? 1 : x1 - x0;
        for (let xx = x0; xx <= x1; xx += step) {
          if (xx < 0 || xx >= g) continue;
          const c = yy * g + xx;
          for (let p = start[c]; p < start[c + 1]; p++) {
            const j = items[p];
            const dx = x - codebook[2 * j];
            const dy = y - codebook[2 * j + 1];
            const d = dx * dx + dy * dy;
            if (d < bestD || (d === bestD && j < best)) {
              bestD = d;
              best = j;
            }
          }
        }
      }
      // Lower bound on the distance of any codeword outside the visited block.
      let bound = Infinity;
      if (x0 > 0) bound = Math.min(bound, x - (minX + x0 * cell));
      if (x1 < g - 1) bound = Math.min(bound, minX + (x1 + 1) * cell - x);
      if (y0 > 0) bound = Math.min(bound, y - (minY + y0 * cell));
      if (y1 < g - 1) bound = Math.min(bound, minY + (y1 + 1) * cell - y);
      if (bound === Infinity) return best; // the block covers the whole grid
      const b = Math.max(0, bound - this.slack);
      if (best >= 0 && b * b > bestD) return best;
    }
  }

  private scan(x: number, y: number): number {
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < this.k; j++) {
      const dx = x - this.codebook[2 * j];
      const dy = y - this.codebook[2 * j + 1];
      const d = dx * dx + dy * dy;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }

  nearestMany(data: Float32Array, n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    for (let r = 0; r < n; r++) out[r] = this.nearest(data[2 * r], data[2 * r + 1]);
    return out;
  }
}

/** nearestCodewords for dim = 2 through a Grid2D (same contract). */
export function nearestCodewords2d(data: Float32Array, n: number, codebook: Float32Array, k: number, out?: Int32Array): Int32Array {
  return new Grid2D(codebook, k).nearestMany(data, n, out);
}
