/**
 * One FLAC frame: header, subframes and stereo decorrelation (RFC 9639 §9). Pure functions over
 * a BitReader (flac-bits.ts) and per-channel Float64Array scratch; the stream layer (flac.ts)
 * handles metadata, buffering and the CRC-16 of the whole frame.
 *
 * Samples are integers held in doubles: a side channel of 32-bit audio needs 33 bits, and an
 * LPC sum of 32 taps of 15-bit coefficients times 33-bit samples stays below 2^53, so double
 * arithmetic is exact for every legal stream (§9.2.6) with one code path for 4–32 bits.
 */
import { CorruptDataError } from '../errors.js';
import { BitReader, crc8, OUT_OF_DATA } from './flac-bits.js';

/** A format violation at byte `at` of the reader's buffer; flac.ts adds the file name and offset. */
export class FlacFormatError extends CorruptDataError {
  constructor(readonly why: string, readonly at: number) {
    super(why);
    this.name = 'FlacFormatError';
  }
}

function fail(why: string, at: number): never {
  throw new FlacFormatError(why, at);
}

/** RFC 9639 §9.1.6: the largest block size a frame header can state (16-bit code 65535 + 1 is invalid). */
export const MAX_BLOCK_SIZE = 65535;

export interface StreamFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

export interface FrameHeader {
  /** Blocking strategy bit (§9.1.1): true = variable block size, `number` is a sample number. */
  variableBlockSize: boolean;
  /** Frame number (fixed block size) or number of the first sample (variable block size). */
  number: number;
  blockSize: number;
  /** Channel assignment code (§9.1.3): 0–7 independent, 8 left/side, 9 side/right, 10 mid/side. */
  assignment: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

// §9.1.2 block size codes (negative: read from the end of the header, 8 or 16 bits, plus one).
const BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
// §9.1.2 sample rate codes (0: from STREAMINFO; 12–14 read from the end of the header; 15 forbidden).
const SAMPLE_RATES = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
// §9.1.4 sample size codes (0: from STREAMINFO; 3 reserved).
const SAMPLE_SIZES = [0, 8, 12, -1, 16, 20, 24, 32];

/**
 * Frame header at the reader's (byte-aligned) position, CRC-8 checked (§9.1). Values taken
 * from STREAMINFO (`fmt`) where the header says so.
 */
export function readFrameHeader(r: BitReader, fmt: StreamFormat): FrameHeader {
  const start = r.bytePos;
  // 14-bit sync code 0b11111111111110 followed by a reserved 0 bit (§9.1).
  if (r.bits(15) !== 0x7ffc) fail('no frame sync code', start);
  const variableBlockSize = r.bits(1) === 1;
  const bsCode = r.bits(4);
  const srCode = r.bits(4);
  const assignment = r.bits(4);
  const ssCode = r.bits(3);
  if (r.bits(1) !== 0) fail('reserved bit set in frame header', start);
  // §9.1.5: frame or sample number coded like UTF-8, up to 31 or 36 bits.
  const first = r.bits(8);
  let number: number;
  let extra: number;
  if (first < 0x80) { number = first; extra = 0; }
  else if (first < 0xc0) fail('bad coded frame number', start);
  else if (first < 0xe0) { number = first & 0x1f; extra = 1; }
  else if (first < 0xf0) { number = first & 0x0f; extra = 2; }
  else if (first < 0xf8) { number = first & 0x07; extra = 3; }
  else if (first < 0xfc) { number = first & 0x03; extra = 4; }
  else if (first < 0xfe) { number = first & 0x01; extra = 5; }
  else if (first === 0xfe) { number = 0; extra = 6; }
  else fail('bad coded frame number', start);
  if (!variableBlockSize && extra > 5) fail('frame number longer than 31 bits', start);
  for (let i = 0; i < extra; i++) {
    const b = r.bits(8);
    if ((b & 0xc0) !== 0x80) fail('bad coded frame number', start);
    number = number * 64 + (b & 0x3f);
  }
  let blockSize = BLOCK_SIZES[bsCode];
  if (blockSize === 0) fail('reserved block size code', start);
  if (blockSize < 0) blockSize = r.bits(-blockSize) + 1;
  if (blockSize > MAX_BLOCK_SIZE) fail(`block size ${blockSize} over ${MAX_BLOCK_SIZE}`, start);
  let sampleRate: number;
  if (srCode === 0) sampleRate = fmt.sampleRate;
  else if (srCode < 12) sampleRate = SAMPLE_RATES[srCode];
  else if (srCode === 12) sampleRate = r.bits(8) * 1000;
  else if (srCode === 13) sampleRate = r.bits(16);
  else if (srCode === 14) sampleRate = r.bits(16) * 10;
  else fail('forbidden sample rate code', start);
  if (assignment > 10) fail('reserved channel assignment', start);
  const channels = assignment < 8 ? assignment + 1 : 2;
  let bitsPerSample = SAMPLE_SIZES[ssCode];
  if (bitsPerSample < 0) fail('reserved sample size code', start);
  if (bitsPerSample === 0) bitsPerSample = fmt.bitsPerSample;
  const end = r.bytePos;
  if (r.bits(8) !== crc8(r.buf, start, end)) fail('frame header CRC-8 mismatch', start);
  return { variableBlockSize, number, blockSize, assignment, channels, sampleRate, bitsPerSample };
}

/**
 * Residual (§9.2.7) into x[order..n): partitioned Rice coding with 4- or 5-bit parameters; the
 * all-ones parameter escapes to unencoded signed samples of a 5-bit width.
 */
function readResidual(r: BitReader, x: Float64Array, n: number, order: number, at: number): void {
  const method = r.bits(2);
  if (method > 1) fail('reserved residual coding method', at);
  const paramBits = method === 0 ? 4 : 5;
  const escape = method === 0 ? 15 : 31;
  const partitionOrder = r.bits(4);
  const per = n >>> partitionOrder;
  if (per << partitionOrder !== n) fail(`block size ${n} not divisible into 2^${partitionOrder} partitions`, at);
  if (per < order) fail('first residual partition shorter than the predictor order', at);
  let i = order;
  for (let p = 0; p < 1 << partitionOrder; p++) {
    const count = p === 0 ? per - order : per;
    const k = r.bits(paramBits);
    if (k === escape) {
      const width = r.bits(5);
      for (let j = 0; j < count; j++) x[i + j] = r.signed(width);
    } else {
      riceRun(r, k, x, i, count, at);
    }
    i += count;
  }
}

/**
 * `count` Rice codes of parameter k (unary quotient, k-bit remainder, zigzag sign) into x[i..).
 * The hot loop of the decoder, so the reader's state lives in locals. A residual must fit in
 * 32 bits (§9.2.7.3), which bounds the quotient. (A single 32-bit window for quotient and
 * remainder together measured 15% slower by CPU time on LibriSpeech: most quotients end in the
 * first byte.)
 */
function riceRun(r: BitReader, k: number, x: Float64Array, i: number, count: number, at: number): void {
  const buf = r.buf;
  const end = r.end;
  let p = r.pos;
  const scale = 2 ** k;
  const maxQ = 2 ** (32 - k);
  const intQ = 2 ** (31 - k);
  for (const stop = i + count; i < stop; i++) {
    let q = 0;
    for (;;) {
      if (p >= end) throw OUT_OF_DATA;
      const b = (buf[p >>> 3] << (p & 7)) & 0xff;
      if (b !== 0) {
        const z = Math.clz32(b) - 24;
        q += z;
        p += z + 1;
        break;
      }
      const step = 8 - (p & 7);
      q += step;
      p += step;
    }
    if (q >= maxQ) fail('residual does not fit in 32 bits', at);
    let rem = 0;
    if (k > 0) {
      if (p + k > end) throw OUT_OF_DATA;
      const byte = p >>> 3;
      if (k <= 24) {
        // A 32-bit window always holds the k bits when k + 7 ≤ 32 (bytes past `end` are slack).
        const w = (buf[byte] << 24) | (buf[byte + 1] << 16) | (buf[byte + 2] << 8) | buf[byte + 3];
        rem = (w << (p & 7)) >>> (32 - k);
      } else {
        r.pos = p;
        rem = r.bits(k);
      }
      p += k;
    }
    if (q < intQ) {
      // u < 2^31: zigzag in int32 arithmetic (1.3× faster overall than the double path).
      const u = (q << k) | rem;
      x[i] = (u >>> 1) ^ -(u & 1);
    } else {
      const u = q * scale + rem;
      const half = (u - (u & 1)) / 2;
      x[i] = u & 1 ? -half - 1 : half;
    }
  }
  r.pos = p;
}

const lpcCoefs = new Float64Array(32);

/** One subframe (§9.2) of `bps` bits into x[0..n), wasted bits restored. */
export function decodeSubframe(r: BitReader, x: Float64Array, n: number, bps: number): void {
  const at = r.bytePos;
  if (r.bits(1) !== 0) fail('subframe padding bit set', at);
  const type = r.bits(6);
  let wasted = 0;
  if (r.bits(1) === 1) {
    wasted = r.unary() + 1;
    if (wasted >= bps) fail(`${wasted} wasted bits in a ${bps}-bit subframe`, at);
  }
  const b = bps - wasted;
  if (type === 0) {
    x.fill(r.signed(b), 0, n);
  } else if (type === 1) {
    for (let i = 0; i < n; i++) x[i] = r.signed(b);
  } else if (type >= 8 && type <= 12) {
    const order = type - 8;
    if (order > n) fail('predictor order exceeds the block size', at);
    for (let i = 0; i < order; i++) x[i] = r.signed(b);
    readResidual(r, x, n, order, at);
    restoreFixed(x, n, order);
  } else if (type >= 32) {
    const order = type - 31;
    if (order > n) fail('predictor order exceeds the block size', at);
    for (let i = 0; i < order; i++) x[i] = r.signed(b);
    const precision = r.bits(4) + 1;
    if (precision === 16) fail('invalid LPC coefficient precision', at);
    const shift = r.signed(5);
    if (shift < 0) fail('negative LPC shift', at);
    for (let j = 0; j < order; j++) lpcCoefs[j] = r.signed(precision);
    readResidual(r, x, n, order, at);
    restoreLpc(x, n, order, lpcCoefs, shift);
  } else {
    fail(`reserved subframe type ${type}`, at);
  }
  if (wasted > 0) {
    const m = 2 ** wasted;
    for (let i = 0; i < n; i++) x[i] *= m;
  }
}

/** §9.2.5: fixed polynomial predictors of order 0–4; the residual is already in x[order..n). */
function restoreFixed(x: Float64Array, n: number, order: number): void {
  switch (order) {
    case 1:
      for (let i = 1; i < n; i++) x[i] += x[i - 1];
      break;
    case 2:
      for (let i = 2; i < n; i++) x[i] += 2 * x[i - 1] - x[i - 2];
      break;
    case 3:
      for (let i = 3; i < n; i++) x[i] += 3 * (x[i - 1] - x[i - 2]) + x[i - 3];
      break;
    case 4:
      for (let i = 4; i < n; i++) x[i] += 4 * (x[i - 1] + x[i - 3]) - 6 * x[i - 2] - x[i - 4];
      break;
    default:
      break;
  }
}

/**
 * §9.2.6: x[i] = residual + floor(Σ_j c_j·x[i−1−j] / 2^shift). The sum is exact in a double
 * (see the module comment) and dividing by a power of two and flooring is exact too, so this
 * is the arithmetic shift of the integer sum, and adding zero taps or reordering the sum cannot
 * change it. Orders up to 6 and up to 12 (all that flac -0…-8 produce) run on a window of past
 * samples held in locals with zero-padded coefficients: 2.2× faster than the loop over taps, and
 * the 6-tap variant 1.2× more, by CPU time on LibriSpeech (A/B in one process).
 */
function restoreLpc(x: Float64Array, n: number, order: number, c: Float64Array, shift: number): void {
  const inv = 2 ** -shift;
  if (order <= 12) {
    c.fill(0, order, 12);
    if (order <= 6) restoreLpc6(x, n, order, c, inv);
    else restoreLpc12(x, n, order, c, inv);
    return;
  }
  for (let i = order; i < n; i++) {
    let s = 0;
    for (let j = 0; j < order; j++) s += c[j] * x[i - 1 - j];
    x[i] += Math.floor(s * inv);
  }
}

/** x[k], or 0 before the start (a zero tap meets it). */
function past(x: Float64Array, k: number): number {
  return k >= 0 ? x[k] : 0;
}

function restoreLpc6(x: Float64Array, n: number, order: number, c: Float64Array, inv: number): void {
  const c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5];
  let h1 = past(x, order - 1), h2 = past(x, order - 2), h3 = past(x, order - 3);
  let h4 = past(x, order - 4), h5 = past(x, order - 5), h6 = past(x, order - 6);
  for (let i = order; i < n; i++) {
    const v = x[i] + Math.floor((c0 * h1 + c1 * h2 + c2 * h3 + c3 * h4 + c4 * h5 + c5 * h6) * inv);
    x[i] = v;
    h6 = h5; h5 = h4; h4 = h3; h3 = h2; h2 = h1; h1 = v;
  }
}

function restoreLpc12(x: Float64Array, n: number, order: number, c: Float64Array, inv: number): void {
  const c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5];
  const c6 = c[6], c7 = c[7], c8 = c[8], c9 = c[9], c10 = c[10], c11 = c[11];
  let h1 = past(x, order - 1), h2 = past(x, order - 2), h3 = past(x, order - 3);
  let h4 = past(x, order - 4), h5 = past(x, order - 5), h6 = past(x, order - 6);
  let h7 = past(x, order - 7), h8 = past(x, order - 8), h9 = past(x, order - 9);
  let h10 = past(x, order - 10), h11 = past(x, order - 11), h12 = past(x, order - 12);
  for (let i = order; i < n; i++) {
    const s = c0 * h1 + c1 * h2 + c2 * h3 + c3 * h4 + c4 * h5 + c5 * h6
      + c6 * h7 + c7 * h8 + c8 * h9 + c9 * h10 + c10 * h11 + c11 * h12;
    const v = x[i] + Math.floor(s * inv);
    x[i] = v;
    h12 = h11; h11 = h10; h10 = h9; h9 = h8; h8 = h7; h7 = h6;
    h6 = h5; h5 = h4; h4 = h3; h3 = h2; h2 = h1; h1 = v;
  }
}

/**
 * §9.1.3 stereo decorrelation in place: the decoded subframes `a`, `b` become left, right.
 * Left/side: R = L − S. Side/right: L = S + R. Mid/side: M' = 2M + (S & 1), L = (M' + S)/2,
 * R = (M' − S)/2 (both sums are even, so the divisions are exact).
 */
export function decorrelate(assignment: number, a: Float64Array, b: Float64Array, n: number): void {
  if (assignment === 8) {
    for (let i = 0; i < n; i++) b[i] = a[i] - b[i];
  } else if (assignment === 9) {
    for (let i = 0; i < n; i++) a[i] += b[i];
  } else if (assignment === 10) {
    for (let i = 0; i < n; i++) {
      const side = b[i];
      const mid = 2 * a[i] + (side & 1);
      a[i] = (mid + side) / 2;
      b[i] = (mid - side) / 2;
    }
  }
}

/** Bits per sample of subframe `ch` under `assignment`: the side channel carries one more (§9.2). */
export function subframeBits(assignment: number, ch: number, bps: number): number {
  if ((assignment === 8 || assignment === 10) && ch === 1) return bps + 1;
  if (assignment === 9 && ch === 0) return bps + 1;
  return bps;
}
