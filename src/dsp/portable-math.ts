/**
 * exp, log, cos and sin from IEEE-754 +, −, ×, ÷ and bit/integer operations only, so that every
 * JavaScript engine computes the same bits (issue 5 "derive every coder table from integers or
 * quantized indices"; DESIGN §1 "Determinism"). ECMAScript leaves Math.exp/log/cos/sin
 * "implementation-approximated", so their last bit may differ between engines; the basic
 * operations are correctly rounded, JS never fuses a multiply-add, and every step below is a
 * fixed sequence of them.
 *
 * Method (all three): Cody–Waite argument reduction (the constant split into a high part with
 * few enough significant bits that k·C_hi is exact, plus low parts), then a Taylor polynomial on
 * the reduced interval, evaluated by Horner with the leading terms added last for accuracy.
 * Truncation error of each polynomial is below 2^-56 relative on its interval (bounds in the
 * comments), so the results are within ~1–2 ulp of the correctly rounded value; the tests
 * measure the distance to Math.* (test/portable-math.test.ts).
 *
 * Pure functions; the only state is a module-level 8-byte scratch for reading a double's bits.
 */

const bitsF64 = new Float64Array(1);
const bitsU32 = new Uint32Array(bitsF64.buffer);
/** Index of the high (sign/exponent) word of bitsF64 in bitsU32. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^k for k = −1074 … 1023 at POW2[k + 1074], by exact doublings and halvings. */
const POW2 = new Float64Array(2098);
{
  let v = 1;
  for (let k = 0; k <= 1023; k++, v *= 2) POW2[k + 1074] = v;
  v = 1;
  for (let k = 0; k >= -1074; k--, v /= 2) POW2[k + 1074] = v;
}

/** ln 2 split: LN2_HI has 32 significant bits (k·LN2_HI exact for |k| < 2^21), LN2_LO the rest. */
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const LOG2_E = 1.4426950408889634;
/** Above this exp overflows; below EXP_UNDERFLOW it rounds to 0. */
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019412;

// Taylor coefficients 1/n! (n = 2 … 13), as exact-as-possible double literals of the quotients.
const E2 = 1 / 2;
const E3 = 1 / 6;
const E4 = 1 / 24;
const E5 = 1 / 120;
const E6 = 1 / 720;
const E7 = 1 / 5040;
const E8 = 1 / 40320;
const E9 = 1 / 362880;
const E10 = 1 / 3628800;
const E11 = 1 / 39916800;
const E12 = 1 / 479001600;
const E13 = 1 / 6227020800;

/**
 * e^x. x = k·ln 2 + r with k = round(x/ln 2), |r| ≤ ½ln 2 (Cody–Waite: x − k·LN2_HI is exact);
 * e^r = 1 + r + r²(1/2! + r/3! + … + r^11/13!), truncation |r|^14/14! < 5e-18; then × 2^k.
 */
export function portableExp(x: number): number {
  if (!(x <= EXP_OVERFLOW)) return x !== x ? NaN : Infinity; // NaN or overflow
  if (x < EXP_UNDERFLOW) return 0;
  const k = Math.round(x * LOG2_E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const q = E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8 + r * (E9 + r * (E10 + r * (E11 + r * (E12 + r * E13))))))))));
  const y = 1 + (r + r * r * q);
  if (k >= -1022) return k <= 1023 ? y * POW2[k + 1074] : y * 2 * POW2[1023 + 1074];
  return y * POW2[k + 60 + 1074] * POW2[-60 + 1074]; // subnormal result
}

/** √2 as the high word of its double (mantissa bits only): m above it is halved. */
const SQRT2_MANT_HI = 0x6a09e;
// 2/(2n+1) for the atanh series, n = 1 … 11.
const L3 = 2 / 3;
const L5 = 2 / 5;
const L7 = 2 / 7;
const L9 = 2 / 9;
const L11 = 2 / 11;
const L13 = 2 / 13;
const L15 = 2 / 15;
const L17 = 2 / 17;
const L19 = 2 / 19;
const L21 = 2 / 21;
const L23 = 2 / 23;

/**
 * ln x. x = 2^e·m with m ∈ [√½, √2) from the IEEE bits; f = m − 1 (exact), s = f/(2 + f), and
 * ln m = 2 atanh s = 2s + s·R, R = Σ 2s^(2n)/(2n+1), |s| ≤ 0.172 (truncation after s^22:
 * < 2e-18). Since 2s = f − s·f, ln m = f − s(f − R): the large term f is exact and added last.
 * Then + e·ln 2 (e·LN2_HI exact).
 */
export function portableLog(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN; // 0, negative, NaN
  if (x === Infinity) return Infinity;
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // subnormal: × 2^54
    e = -54;
  }
  bitsF64[0] = x;
  const hi = bitsU32[HI];
  // e = unbiased exponent, +1 when the mantissa is above √2; m = x·2^−e exactly.
  const ex = (hi >>> 20) - ((hi & 0xfffff) > SQRT2_MANT_HI ? 1022 : 1023);
  e += ex;
  const m = x * POW2[1074 - ex];
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (L3 + z * (L5 + z * (L7 + z * (L9 + z * (L11 + z * (L13 + z * (L15 + z * (L17 + z * (L19 + z * (L21 + z * L23))))))))));
  return e * LN2_HI + (f - (s * (f - R) - e * LN2_LO));
}

/** π/2 split in three: PIO2_1 and PIO2_2 have 33 significant bits (k·PIO2_i exact for k < 2^20). */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
const TWO_OVER_PI = 0.6366197723675814;
/** Largest |x| reduced with full accuracy (k < 2^20); beyond it results stay deterministic but lose accuracy. */
export const PORTABLE_TRIG_MAX_ARG = 1647099.3291652855; // 2^20 · π/2

// Taylor coefficients of sin (odd, (−1)^n/(2n+1)!) and cos (even) for |r| ≤ π/4.
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const S15 = -1 / 1307674368000;
const S17 = 1 / 355687428096000;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;
const C16 = 1 / 20922789888000;
const C18 = -1 / 6402373705728000;

/** sin r, |r| ≤ π/4: r + r³·P(r²), truncation (π/4)^19/19! < 1e-19. */
function sinKernel(r: number): number {
  const z = r * r;
  const p = S3 + z * (S5 + z * (S7 + z * (S9 + z * (S11 + z * (S13 + z * (S15 + z * S17))))));
  return r + r * z * p;
}

/**
 * cos r, |r| ≤ π/4: 1 − z/2 + z²·Q(z), z = r², truncation (π/4)^20/20! < 1e-20. When z/2 is
 * large 1 − z/2 loses bits, so w = 1 − z/2 is corrected by (1 − w) − z/2 (exact: Sterbenz).
 */
function cosKernel(r: number): number {
  const z = r * r;
  const q = C4 + z * (C6 + z * (C8 + z * (C10 + z * (C12 + z * (C14 + z * (C16 + z * C18))))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  return w + ((1 - w - hz) + z * z * q);
}

/** x − k·π/2 for k = round(x·2/π) (Cody–Waite, three parts), into reduced; returns k mod 4. */
let reduced = 0;
function reduceHalfPi(x: number): number {
  const k = Math.round(x * TWO_OVER_PI);
  reduced = x - k * PIO2_1 - k * PIO2_2 - k * PIO2_3;
  return k & 3; // two's complement: correct quadrant for negative k too (k < 2^31)
}

/** sin x (accurate for |x| ≤ PORTABLE_TRIG_MAX_ARG; ±∞ and NaN give NaN). */
export function portableSin(x: number): number {
  if (!(Math.abs(x) < Infinity)) return NaN;
  if (Math.abs(x) <= 0.7853981633974483) return x === 0 ? x : sinKernel(x); // keeps ±0 and subnormals exact
  const q = reduceHalfPi(x);
  const r = reduced;
  return q === 0 ? sinKernel(r) : q === 1 ? cosKernel(r) : q === 2 ? -sinKernel(r) : -cosKernel(r);
}

/** cos x (accurate for |x| ≤ PORTABLE_TRIG_MAX_ARG; ±∞ and NaN give NaN). */
export function portableCos(x: number): number {
  if (!(Math.abs(x) < Infinity)) return NaN;
  if (Math.abs(x) <= 0.7853981633974483) return cosKernel(x);
  const q = reduceHalfPi(x);
  const r = reduced;
  return q === 0 ? cosKernel(r) : q === 1 ? -sinKernel(r) : q === 2 ? -cosKernel(r) : sinKernel(r);
}

/**
 * Σ ln x_i over x[0 … n−1] as ln of the product, with the product kept as mantissa × 2^e so it
 * cannot overflow or underflow: one portableLog instead of n (the weights' geometric mean,
 * model/perceptual.ts). Products of 8 values are multiplied in when they are safely in range,
 * else the values one by one; any zero, negative, ∞ or NaN falls back to Σ portableLog(x_i)
 * (giving −∞ or NaN as the plain sum would).
 */
export function portableSumLog(x: ArrayLike<number>, n: number = x.length): number {
  let mant = 1;
  let ex = 0;
  let i = 0;
  for (; i < n; ) {
    if (i + 8 <= n) {
      const pr = x[i] * x[i + 1] * x[i + 2] * x[i + 3] * x[i + 4] * x[i + 5] * x[i + 6] * x[i + 7];
      if (pr > 1e-300 && pr < 1e300) {
        mant *= pr;
        i += 8;
      } else {
        mant *= x[i++];
      }
    } else {
      mant *= x[i++];
    }
    // Renormalise mant to [1, 2): e from the exponent field, then an exact × 2^−e.
    bitsF64[0] = mant;
    const field = (bitsU32[HI] >>> 20) & 0x7ff;
    if (field === 0 || field === 0x7ff || mant < 0) return sumLogPlain(x, n);
    const e = field - 1023;
    mant *= POW2[1074 - e];
    ex += e;
  }
  return ex * LN2_HI + (portableLog(mant) + ex * LN2_LO);
}

function sumLogPlain(x: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += portableLog(x[i]);
  return s;
}
