/**
 * Low-overlap MDCT window (DESIGN §1 "Framing and transform").
 *
 * For n MDCT coefficients the window has 2n samples laid out as
 *   n/4 zeros | n/2 sine rise | n/2 flat (1) | n/2 sine fall | n/4 zeros.
 * With n = 320 (16 kHz, 20 ms hop) that is 80 | 160 | 160 | 160 | 80: 30 ms of support and
 * 10 ms of overlap between consecutive frames. The rise is sin(π/2 · (i+½)/(n/2)) and the
 * fall its mirror image, so the window is symmetric (w[m] = w[2n−1−m]) and satisfies the
 * Princen–Bradley condition w[m]² + w[m+n]² = 1, which makes MDCT→IMDCT→overlap-add
 * reconstruct the input exactly.
 */

/** Hop size in samples: 20 ms at 16 kHz, also the number of MDCT coefficients per frame. */
export const HOP = 320;
/** Window length in samples (two hops). */
export const WINDOW_LENGTH = 640;

/** The low-overlap window for `n` MDCT coefficients (length 2n). `n` must be a positive multiple of 4. */
export function lowOverlapWindow(n: number = HOP): Float64Array {
  if (!Number.isInteger(n) || n <= 0 || n % 4 !== 0) {
    throw new RangeError(`lowOverlapWindow: n must be a positive multiple of 4, got ${n}`);
  }
  const w = new Float64Array(2 * n);
  const zeros = n / 4;
  const ramp = n / 2;
  for (let i = 0; i < ramp; i++) {
    const rise = Math.sin((Math.PI / 2) * ((i + 0.5) / ramp));
    w[zeros + i] = rise;
    // Mirror image: the fall ends where the trailing zeros start.
    w[2 * n - zeros - 1 - i] = rise;
  }
  w.fill(1, zeros + ramp, zeros + ramp + ramp);
  return w;
}
