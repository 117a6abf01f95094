/**
 * Our own FLAC decoder (RFC 9639), streaming: bytes go in as they are read, decoded blocks come
 * out, and memory stays bounded by a few frames whatever the file's length (issue 5: "a one-hour
 * file does not need an hour of audio in memory"). node-web-audio-api has no incremental decode,
 * so FLAC, the main dataset's format, used to be decoded whole.
 *
 * Layers: flac-bits.ts (bit reader, CRCs), flac-frame.ts (frame header, subframes, stereo
 * decorrelation), this module (ID3v2 prefix, 'fLaC' marker, metadata blocks, frame buffering,
 * CRC-16, sample numbering, truncation) and flac-file.ts (reading files). This module has no Node
 * built-ins (the browser entry decodes FLAC bytes with it).
 *
 * Strict by design: every frame must pass its CRC-8 and CRC-16, follow the previous one without
 * a gap, and agree with STREAMINFO on rate, channels and bit depth; anything else is a
 * CorruptDataError naming the byte offset (no resynchronisation). Output samples are Float32,
 * the integer sample divided by 2^(bps−1), which is what node-web-audio-api gives for the same
 * file (test/flac-decoder.test.ts compares the two on every FLAC in ../shared/speech).
 */
import { CorruptDataError, UserError } from '../errors.js';
import { BitReader, crc16, OUT_OF_DATA, READ_SLACK } from './flac-bits.js';
import { decodeSubframe, decorrelate, FlacFormatError, MAX_BLOCK_SIZE, readFrameHeader, subframeBits } from './flac-frame.js';

/** STREAMINFO (RFC 9639 §8.2). */
export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  minFrameSize: number;
  maxFrameSize: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Samples per channel; 0 when the encoder did not know it. */
  totalSamples: number;
}

/** One decoded frame: `channels[c][i]` is sample `firstSample + i` of channel c, in [-1, 1). */
export interface FlacBlock {
  firstSample: number;
  channels: Float32Array[];
}

/** The fields of a 34-byte STREAMINFO body at b[p..p+34) (RFC 9639 §8.2), unchecked. */
export function streamInfoFields(b: Uint8Array, p: number): FlacStreamInfo {
  return {
    minBlockSize: (b[p] << 8) | b[p + 1],
    maxBlockSize: (b[p + 2] << 8) | b[p + 3],
    minFrameSize: (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6],
    maxFrameSize: (b[p + 7] << 16) | (b[p + 8] << 8) | b[p + 9],
    sampleRate: (b[p + 10] << 12) | (b[p + 11] << 4) | (b[p + 12] >> 4),
    channels: ((b[p + 12] >> 1) & 7) + 1,
    bitsPerSample: (((b[p + 12] & 1) << 4) | (b[p + 13] >> 4)) + 1,
    // 36 bits: the top 4 by multiplication, as bitwise operators stop at 32.
    totalSamples: (b[p + 13] & 0x0f) * 2 ** 32 + ((b[p + 14] << 24) >>> 0) + ((b[p + 15] << 16) | (b[p + 16] << 8) | b[p + 17]),
  };
}

/** Bytes read from a file per step: large enough to hold several frames, small enough to ignore. */
export const FLAC_READ_BYTES = 65536;

type State = 'start' | 'marker' | 'metadata' | 'frames' | 'done';

/**
 * Push-based FLAC decoder. `push(bytes)` returns the frames that the new bytes completed;
 * `finish()` ends the input and reports truncation. Holds at most the unfinished frame plus
 * one pushed chunk, and never more than twice the largest frame the header allows (a frame
 * cannot be larger than its samples stored verbatim).
 */
export class FlacStreamDecoder {
  private buf = new Uint8Array(FLAC_READ_BYTES + READ_SLACK);
  /** Unconsumed bytes are buf[start..end). */
  private start = 0;
  private end = 0;
  /** File offset of buf[start]. */
  private offset = 0;
  /** Bytes still to skip (an ID3v2 tag or a metadata block we do not need). */
  private skip = 0;
  private state: State = 'start';
  private lastMetadata = false;
  private info: FlacStreamInfo | undefined;
  private readonly reader = new BitReader();
  private scratch: Float64Array[] = [];
  /** Do not retry the pending frame before this many bytes are buffered (geometric growth, so a byte-by-byte feed costs O(frame) per frame). */
  private retryAt = 0;
  private variable: boolean | undefined;
  private frames = 0;
  private decoded = 0;
  private finished = false;

  constructor(private readonly name = 'input') {}

  /** STREAMINFO, once the metadata has been read. */
  get streamInfo(): FlacStreamInfo | undefined {
    return this.info;
  }

  /** Samples per channel decoded so far. */
  get samplesDecoded(): number {
    return this.decoded;
  }

  /** Size of the input buffer: a pushed chunk plus the unfinished frame (for tests of the memory bound). */
  get bufferBytes(): number {
    return this.buf.length;
  }

  /** True when the metadata has been read and the next bytes are audio frames. */
  get inFrames(): boolean {
    return this.state === 'frames' || this.state === 'done';
  }

  push(chunk: Uint8Array): FlacBlock[] {
    if (this.finished) throw new Error('FlacStreamDecoder: push after finish');
    let c = chunk;
    if (this.skip > 0) {
      const k = Math.min(this.skip, c.length);
      this.skip -= k;
      this.offset += k;
      c = c.subarray(k);
    }
    if (this.state === 'done' || c.length === 0) return [];
    this.append(c);
    const out: FlacBlock[] = [];
    this.run(out, false);
    return out;
  }

  /** End of input: the remaining frames, or a UserError if the file is cut short. */
  finish(): FlacBlock[] {
    if (this.finished) throw new Error('FlacStreamDecoder: finish called twice');
    this.finished = true;
    const out: FlacBlock[] = [];
    if (this.skip > 0 && this.state !== 'done') this.truncated('the input ends inside a metadata block or tag');
    this.run(out, true);
    const info = this.info;
    if (!info) {
      if (this.state === 'start' && this.end === this.start) throw new UserError(`empty file: ${this.name}`);
      this.truncated('the input ends before STREAMINFO');
    }
    if (info.totalSamples > 0 && this.decoded < info.totalSamples) {
      throw new UserError(`truncated FLAC file: ${this.name}: expected ${info.totalSamples} samples per channel, decoded ${this.decoded}`);
    }
    return out;
  }

  private truncated(why: string): never {
    throw new UserError(`truncated FLAC file: ${this.name}: ${why}`);
  }

  private corrupt(why: string, fileOffset: number): never {
    throw new CorruptDataError(`corrupt FLAC file: ${this.name}: ${why} at byte ${fileOffset}`);
  }

  private append(c: Uint8Array): void {
    const have = this.end - this.start;
    if (this.end + c.length + READ_SLACK > this.buf.length) {
      if (have + c.length + READ_SLACK <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(2 * this.buf.length, have + c.length + READ_SLACK));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = have;
    }
    this.buf.set(c, this.end);
    this.end += c.length;
  }

  private consume(n: number): void {
    this.start += n;
    this.offset += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Skip n bytes: those buffered now, the rest as they arrive. */
  private skipBytes(n: number): void {
    const have = this.end - this.start;
    if (n <= have) {
      this.consume(n);
    } else {
      this.consume(have);
      this.skip = n - have;
    }
  }

  private run(out: FlacBlock[], final: boolean): void {
    for (;;) {
      if (this.skip > 0 || this.state === 'done') return;
      const have = this.end - this.start;
      const b = this.buf;
      const s = this.start;
      switch (this.state) {
        case 'start': {
          // An ID3v2 tag before the marker (RFC 9639 §6 allows none, but taggers add one).
          if (have < 10) {
            if (have >= 3 && !(b[s] === 0x49 && b[s + 1] === 0x44 && b[s + 2] === 0x33)) { this.state = 'marker'; continue; }
            if (!final) return;
            if (have === 0) return;
            this.state = 'marker';
            continue;
          }
          if (b[s] === 0x49 && b[s + 1] === 0x44 && b[s + 2] === 0x33) {
            const size = ((b[s + 6] & 0x7f) << 21) | ((b[s + 7] & 0x7f) << 14) | ((b[s + 8] & 0x7f) << 7) | (b[s + 9] & 0x7f);
            this.skipBytes(10 + size + (b[s + 5] & 0x10 ? 10 : 0));
          }
          this.state = 'marker';
          continue;
        }
        case 'marker': {
          if (have < 4) {
            if (final) this.notFlac();
            return;
          }
          if (b[s] !== 0x66 || b[s + 1] !== 0x4c || b[s + 2] !== 0x61 || b[s + 3] !== 0x43) this.notFlac();
          this.consume(4);
          this.state = 'metadata';
          continue;
        }
        case 'metadata': {
          if (this.lastMetadata) {
            if (!this.info) this.corrupt('no STREAMINFO block', this.offset);
            this.state = 'frames';
            continue;
          }
          if (have < 4) return;
          const type = b[s] & 0x7f;
          const length = (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3];
          if (type === 127) this.corrupt('invalid metadata block type 127', this.offset);
          if ((type === 0) !== (this.info === undefined)) {
            this.corrupt(type === 0 ? 'second STREAMINFO block' : 'first metadata block is not STREAMINFO', this.offset);
          }
          if (type === 0) {
            if (length !== 34) this.corrupt(`STREAMINFO is ${length} bytes, expected 34`, this.offset);
            if (have < 38) return;
            this.info = this.parseStreamInfo(b, s + 4);
            this.lastMetadata = (b[s] & 0x80) !== 0;
            this.consume(38);
          } else {
            this.lastMetadata = (b[s] & 0x80) !== 0;
            this.consume(4);
            this.skipBytes(length);
          }
          continue;
        }
        case 'frames': {
          const info = this.info as FlacStreamInfo;
          if (info.totalSamples > 0 && this.decoded >= info.totalSamples) {
            // Everything STREAMINFO promised is decoded: what follows (an ID3v1 tag, padding) is not audio.
            this.state = 'done';
            this.start = this.end = 0;
            return;
          }
          if (have === 0) return;
          if (!final && have < this.retryAt) return;
          const block = this.frame(final);
          if (!block) return;
          out.push(block);
          continue;
        }
        default:
          return;
      }
    }
  }

  private notFlac(): never {
    throw new UserError(`not a FLAC file: ${this.name} (no fLaC marker)`);
  }

  private parseStreamInfo(b: Uint8Array, p: number): FlacStreamInfo {
    const info = streamInfoFields(b, p);
    const at = this.offset + 4;
    if (info.sampleRate === 0) this.corrupt('STREAMINFO sample rate is 0', at);
    if (info.bitsPerSample < 4) this.corrupt(`STREAMINFO bit depth ${info.bitsPerSample} (4 to 32 are valid)`, at);
    if (info.minBlockSize > info.maxBlockSize) this.corrupt(`STREAMINFO block sizes ${info.minBlockSize} > ${info.maxBlockSize}`, at);
    return info;
  }

  /** Decode the frame at `start`, or return undefined when it is not complete yet. */
  private frame(final: boolean): FlacBlock | undefined {
    const info = this.info as FlacStreamInfo;
    const r = this.reader;
    const s = this.start;
    const have = this.end - s;
    r.reset(this.buf, s, this.end);
    let limit = 0;
    try {
      const h = readFrameHeader(r, info);
      // A frame is never larger than its samples stored verbatim (an encoder falls back to
      // VERBATIM), plus headers; twice that is a generous bound on what we buffer for it.
      limit = 2 * (h.channels * (Math.ceil((h.blockSize * (h.bitsPerSample + 1)) / 8) + 64) + 32) + 1024;
      const at = this.offset;
      if (h.sampleRate !== info.sampleRate) this.corrupt(`frame sample rate ${h.sampleRate} Hz differs from STREAMINFO's ${info.sampleRate} Hz`, at);
      if (h.channels !== info.channels) this.corrupt(`frame has ${h.channels} channel(s), STREAMINFO ${info.channels}`, at);
      if (h.bitsPerSample !== info.bitsPerSample) this.corrupt(`frame bit depth ${h.bitsPerSample} differs from STREAMINFO's ${info.bitsPerSample}`, at);
      if (this.variable !== undefined && h.variableBlockSize !== this.variable) this.corrupt('blocking strategy changes mid-stream', at);
      const expected = h.variableBlockSize ? this.decoded : this.frames;
      if (h.number !== expected) {
        this.corrupt(`${h.variableBlockSize ? 'sample' : 'frame'} number ${h.number}, expected ${expected} (a frame is missing or out of order)`, at);
      }
      const n = h.blockSize;
      const x = this.scratchFor(h.channels, n);
      for (let ch = 0; ch < h.channels; ch++) decodeSubframe(r, x[ch], n, subframeBits(h.assignment, ch, h.bitsPerSample));
      r.alignToByte();
      const crcAt = r.bytePos;
      const stored = r.bits(16);
      if (crc16(this.buf, s, crcAt) !== stored) this.corrupt('frame CRC-16 mismatch', at);
      if (h.assignment >= 8) decorrelate(h.assignment, x[0], x[1], n);
      const block = this.toFloat(x, h.channels, n, h.bitsPerSample, at);
      this.variable = h.variableBlockSize;
      this.frames++;
      this.decoded += n;
      if (info.totalSamples > 0 && this.decoded > info.totalSamples) {
        this.corrupt(`frames hold more than STREAMINFO's ${info.totalSamples} samples`, at);
      }
      this.retryAt = 0;
      this.consume(r.bytePos - s);
      return block;
    } catch (err) {
      if (err === OUT_OF_DATA) {
        if (final) {
          if (info.totalSamples > 0) {
            throw new UserError(`truncated FLAC file: ${this.name}: expected ${info.totalSamples} samples per channel, decoded ${this.decoded}`);
          }
          this.truncated(`the last frame (at byte ${this.offset}) is incomplete`);
        }
        if (limit > 0 && have > limit) this.corrupt('frame longer than any valid frame', this.offset);
        this.retryAt = Math.max(2 * have, have + 64);
        return undefined;
      }
      if (err instanceof FlacFormatError) this.corrupt(err.why, this.offset + (err.at - s));
      throw err;
    }
  }

  private scratchFor(channels: number, n: number): Float64Array[] {
    if (this.scratch.length !== channels || this.scratch[0].length < n) {
      const size = Math.min(MAX_BLOCK_SIZE, Math.max(n, 4096));
      this.scratch = Array.from({ length: channels }, () => new Float64Array(size));
    }
    return this.scratch;
  }

  /** Integers → Float32 in [-1, 1), checking each fits the bit depth (a CRC can collide). */
  private toFloat(x: Float64Array[], channels: number, n: number, bps: number, at: number): FlacBlock {
    const scale = 2 ** (1 - bps);
    const lo = -(2 ** (bps - 1));
    const hi = 2 ** (bps - 1) - 1;
    const out: Float32Array[] = [];
    for (let c = 0; c < channels; c++) {
      const src = x[c];
      const dst = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i];
        if (!(v >= lo && v <= hi)) this.corrupt(`sample value ${v} outside ${bps} bits`, at);
        dst[i] = v * scale;
      }
      out.push(dst);
    }
    return { firstSample: this.decoded, channels: out };
  }
}

export interface DecodedFlac {
  info: FlacStreamInfo;
  channels: Float32Array[];
}

/** Decode a whole FLAC held in memory (tests, benches). */
export function decodeFlacBytes(bytes: Uint8Array, name = 'input'): DecodedFlac {
  const dec = new FlacStreamDecoder(name);
  const blocks: FlacBlock[] = [];
  for (let off = 0; off < bytes.length; off += FLAC_READ_BYTES) {
    for (const b of dec.push(bytes.subarray(off, off + FLAC_READ_BYTES))) blocks.push(b);
  }
  for (const b of dec.finish()) blocks.push(b);
  return { info: dec.streamInfo as FlacStreamInfo, channels: joinBlocks(blocks, (dec.streamInfo as FlacStreamInfo).channels) };
}

/** Concatenate decoded blocks per channel. */
export function joinBlocks(blocks: readonly FlacBlock[], channels: number): Float32Array[] {
  const total = blocks.reduce((n, b) => n + b.channels[0].length, 0);
  const out = Array.from({ length: channels }, () => new Float32Array(total));
  let o = 0;
  for (const b of blocks) {
    for (let c = 0; c < channels; c++) out[c].set(b.channels[c], o);
    o += b.channels[0].length;
  }
  return out;
}
