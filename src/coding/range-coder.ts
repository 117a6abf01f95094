/**
 * A 32-bit range coder (multiplicative, byte-oriented, with carry propagation through a cached
 * byte and a run of pending 0xFF bytes).
 *
 * Arithmetic: `range` ∈ (2^24, 2^32] after normalisation, `low` < 2^33 (bit 32 is a carry).
 * Coding a symbol with cumulative frequency `cum`, frequency `freq` out of `total` (≤ 2^16)
 * sets r = ⌊range/total⌋, low += r·cum, range = r·freq (the last symbol also takes the
 * remainder range − r·total, so no code space is wasted). All values stay below 2^53, so plain
 * JS numbers are exact.
 *
 * Bit accounting. Both sides count normalisation shifts k (bytes moved out by the encoder, bytes
 * moved in past the first four by the decoder) and share the same `range`, so
 *     tellBits() = 8k + 32 − ⌊log2 range⌋
 * is one integer that encoder and decoder compute identically. Because range ≥ 2^24,
 * k = ⌊(tell − 1)/8⌋, and `finish()` writes at most k + 1 bytes. Hence
 *     tellBits() ≤ 8·B  ⇒  the terminated frame fits in B bytes,
 * which is the rule the frame coder's rate loop and its leftover-bit refinement both use.
 *
 * Termination: pick V ∈ [low, low + range) with as many trailing zero bytes as possible and
 * write only its leading bytes; the decoder reads zero bytes past the end of its buffer, which
 * reproduces V exactly. Trailing zero bytes are dropped for the same reason.
 */

const TOP = 2 ** 24;
const TWO32 = 2 ** 32;
/** Largest `total` a caller may use: keeps r = ⌊range/total⌋ ≥ 2^8 so precision loss is < 0.6%. */
export const MAX_TOTAL = 1 << 16;
/** 2^−n for n = 0..32 (exact doubles). */
const INV_POW2 = Float64Array.from({ length: 33 }, (_, n) => 2 ** -n);

export class RangeEncoder {
  private low = 0;
  private range = TWO32;
  private cache = -1;
  private pending = 0;
  private shifts = 0;
  private readonly buf: Uint8Array;
  private pos = 0;

  /** `capacity` bounds the bytes this encoder may emit; exceeding it throws a RangeError. */
  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
  }

  /** Start a new stream in the same buffer (the previous result must have been copied out). */
  reset(): void {
    this.low = 0;
    this.range = TWO32;
    this.cache = -1;
    this.pending = 0;
    this.shifts = 0;
    this.pos = 0;
  }

  /** Code the interval [cum, cum + freq) of `total`; requires freq ≥ 1, cum + freq ≤ total ≤ MAX_TOTAL. */
  encode(cum: number, freq: number, total: number): void {
    const r = Math.floor(this.range / total);
    this.low += r * cum;
    this.range = cum + freq < total ? r * freq : this.range - r * cum;
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  /** `nbits` (0..16) raw bits of `value`, each equiprobable. */
  encodeBits(value: number, nbits: number): void {
    if (nbits === 0) return;
    this.encode(value & ((1 << nbits) - 1), 1, 1 << nbits);
  }

  /** A binary symbol: `bit` with P(1) = p1/total. */
  encodeBit(bit: number, p1: number, total: number): void {
    if (bit) this.encode(0, p1, total);
    else this.encode(p1, total - p1, total);
  }

  /** Bits used so far, counted exactly as the decoder counts them (see the module comment). */
  tellBits(): number {
    return 8 * this.shifts + (this.range >= TWO32 ? 0 : Math.clz32(this.range) + 1);
  }

  private put(byte: number): void {
    if (this.pos >= this.buf.length) throw new RangeError('RangeEncoder: output capacity exceeded');
    this.buf[this.pos++] = byte;
  }

  private shiftLow(): void {
    this.shifts++;
    if (this.low < 0xff000000 || this.low >= TWO32) {
      const carry = this.low >= TWO32 ? 1 : 0;
      if (this.cache >= 0) this.put((this.cache + carry) & 0xff);
      for (; this.pending > 0; this.pending--) this.put((0xff + carry) & 0xff);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    } else {
      // Top byte is 0xFF: it may still become 0x00 by a carry, so hold it back.
      this.pending++;
    }
    this.low = (this.low % TOP) * 256;
  }

  /**
   * Terminate and return the coded bytes (a view into a fresh copy). The encoder must not be used
   * afterwards.
   */
  finish(): Uint8Array {
    for (let j = 4; j >= 0; j--) {
      const unit = 2 ** (8 * j);
      const cand = Math.ceil(this.low / unit) * unit;
      if (cand < this.low + this.range) {
        this.low = cand;
        for (let s = 0; s < 4 - j; s++) this.shiftLowNoCount();
        break;
      }
    }
    const carry = this.low >= TWO32 ? 1 : 0;
    if (this.cache >= 0) this.put((this.cache + carry) & 0xff);
    for (; this.pending > 0; this.pending--) this.put((0xff + carry) & 0xff);
    let end = this.pos;
    while (end > 0 && this.buf[end - 1] === 0) end--;
    return this.buf.slice(0, end);
  }

  private shiftLowNoCount(): void {
    this.shiftLow();
    this.shifts--;
  }
}

export class RangeDecoder {
  private code = 0;
  private range = TWO32;
  private shifts = 0;
  private r = 1;
  private pos: number;
  private readonly end: number;
  private readonly buf: Uint8Array;

  /** Decode bytes [start, end) of `buf`; bytes past `end` read as zero (see termination). */
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = Math.min(end, buf.length);
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
  }

  private next(): number {
    return this.pos < this.end ? this.buf[this.pos++] : 0;
  }

  /**
   * First half of decoding a symbol: the target value in [0, total). The caller finds the
   * symbol whose interval [cum, cum + freq) contains it and then calls `consume(cum, freq, total)`.
   * Always in range for any input bytes (invariant code < range).
   */
  target(total: number): number {
    this.r = Math.floor(this.range / total);
    const v = Math.floor(this.code / this.r);
    return v < total ? v : total - 1;
  }

  consume(cum: number, freq: number, total: number): void {
    const r = this.r;
    this.code -= r * cum;
    this.range = cum + freq < total ? r * freq : this.range - r * cum;
    while (this.range < TOP) {
      this.range *= 256;
      this.code = this.code * 256 + this.next();
      this.shifts++;
    }
  }

  decodeBits(nbits: number): number {
    if (nbits === 0) return 0;
    const total = 1 << nbits;
    // target(total) with ⌊range/2^n⌋ as an exact multiplication by 2^−n (no division).
    const r = Math.floor(this.range * INV_POW2[nbits]);
    this.r = r;
    let v = Math.floor(this.code / r);
    if (v >= total) v = total - 1;
    this.consume(v, 1, total);
    return v;
  }

  decodeBit(p1: number, total: number): number {
    const v = this.target(total);
    if (v < p1) {
      this.consume(0, p1, total);
      return 1;
    }
    this.consume(p1, total - p1, total);
    return 0;
  }

  /**
   * Decode a symbol against a cumulative table cdf[0..n] (cdf[0] = 0, cdf[n] = total, strictly
   * increasing). Linear search from 0: the tables used here put most mass on small symbols.
   */
  decodeSymbol(cdf: ArrayLike<number>, n: number): number {
    const total = cdf[n];
    const v = this.target(total);
    let s = 0;
    while (cdf[s + 1] <= v) s++;
    this.consume(cdf[s], cdf[s + 1] - cdf[s], total);
    return s;
  }

  /** decodeSymbol for a table whose total is 2^totalBits (⌊range/total⌋ without a division). */
  decodeSymbolPow2(cdf: ArrayLike<number>, n: number, totalBits: number): number {
    const total = cdf[n];
    const r = Math.floor(this.range * INV_POW2[totalBits]);
    this.r = r;
    let v = Math.floor(this.code / r);
    if (v >= total) v = total - 1;
    let s = 0;
    while (cdf[s + 1] <= v) s++;
    this.consume(cdf[s], cdf[s + 1] - cdf[s], total);
    return s;
  }

  tellBits(): number {
    return 8 * this.shifts + (this.range >= TWO32 ? 0 : Math.clz32(this.range) + 1);
  }
}

/** Encode a symbol against the same kind of cumulative table `RangeDecoder.decodeSymbol` reads. */
export function encodeSymbol(enc: RangeEncoder, cdf: ArrayLike<number>, n: number, s: number): void {
  enc.encode(cdf[s], cdf[s + 1] - cdf[s], cdf[n]);
}
