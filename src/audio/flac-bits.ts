/**
 * Bit-level reading for the FLAC decoder (flac.ts): an MSB-first bit reader over a byte buffer,
 * and the two checksums of a FLAC frame (RFC 9639 §9.1.8 CRC-8, §9.3 CRC-16).
 *
 * A read that runs past the bytes available throws OUT_OF_DATA (not an Error: it is control
 * flow). The streaming decoder catches it and retries the frame when more input has arrived;
 * at the end of the input it becomes a "truncated FLAC" UserError.
 */

/** Sentinel thrown when a read needs bytes that have not arrived yet. */
export const OUT_OF_DATA: { readonly outOfData: true } = Object.freeze({ outOfData: true });

/**
 * Bytes the reader may look at past `end` (it loads 4-byte windows and masks the excess off);
 * every buffer handed to `reset` must have this much addressable slack after `end`.
 */
export const READ_SLACK = 8;

export class BitReader {
  buf: Uint8Array = new Uint8Array(READ_SLACK);
  /** Current position in bits from buf[0]. */
  pos = 0;
  /** End of the readable data in bits. */
  end = 0;

  reset(buf: Uint8Array, startByte: number, endByte: number): void {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = endByte * 8;
  }

  get bytePos(): number {
    return this.pos >>> 3;
  }

  alignToByte(): void {
    this.pos = (this.pos + 7) & ~7;
  }

  /** Unsigned `n`-bit value, 0 ≤ n ≤ 32. */
  bits(n: number): number {
    if (n === 0) return 0;
    const p = this.pos;
    if (p + n > this.end) throw OUT_OF_DATA;
    this.pos = p + n;
    const buf = this.buf;
    let byte = p >>> 3;
    // Gather whole bytes (at most 5, i.e. < 2^40: exact in a double) and drop the extra low bits.
    let v = buf[byte] & (0xff >>> (p & 7));
    let got = 8 - (p & 7);
    while (got < n) {
      v = v * 256 + buf[++byte];
      got += 8;
    }
    return got <= 32 ? v >>> (got - n) : Math.floor(v / 2 ** (got - n));
  }

  /** Two's-complement signed `n`-bit value, 0 ≤ n ≤ 33 (a side channel of 32-bit audio has 33). */
  signed(n: number): number {
    if (n === 0) return 0;
    const u = n <= 32 ? this.bits(n) : this.bits(n - 32) * 4294967296 + this.bits(32);
    const half = 2 ** (n - 1);
    return u >= half ? u - 2 * half : u;
  }

  /** Count of 0 bits before the next 1 bit (the 1 is consumed). Stops with OUT_OF_DATA at `end`. */
  unary(): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let q = 0;
    for (;;) {
      if (p >= end) throw OUT_OF_DATA;
      const b = (buf[p >>> 3] << (p & 7)) & 0xff;
      if (b !== 0) {
        const z = Math.clz32(b) - 24;
        this.pos = p + z + 1;
        return q + z;
      }
      const step = 8 - (p & 7);
      q += step;
      p += step;
    }
  }
}

function makeTable(poly: number, width: number): Uint16Array {
  const t = new Uint16Array(256);
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  for (let i = 0; i < 256; i++) {
    let c = i << (width - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    t[i] = c;
  }
  return t;
}

// RFC 9639 §9.1.8: CRC-8, polynomial x^8 + x^2 + x + 1, initial 0. §9.3: CRC-16, polynomial
// x^16 + x^15 + x^2 + 1, initial 0. Both MSB first, no reflection, no final XOR.
const CRC8 = makeTable(0x07, 8);
const CRC16 = makeTable(0x8005, 16);

export function crc8(b: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) c = CRC8[c ^ b[i]];
  return c;
}

export function crc16(b: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) c = ((c << 8) & 0xffff) ^ CRC16[(c >>> 8) ^ b[i]];
  return c;
}
