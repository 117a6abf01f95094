/**
 * Stream container (DESIGN §1 "Bitstream"): a 32-byte header followed by frameCount frames of
 * exactly frameBytes(bitrate) bytes each. Nothing else: file size = 32 + frameCount·frameBytes.
 *
 * Header layout (little-endian):
 *   0  4  magic "NSVQ"
 *   4  1  format version (5; older streams lack fields a version-5 frame has, so they are
 *         refused: docs/bitstream.md lists the versions)
 *   5  1  mode: index into BITRATES
 *   6  2  reserved, 0
 *   8  4  original sample rate (Hz) of the audio before resampling to 16 kHz
 *  12  4  originalLength: samples (per channel) of the input at its original rate
 *  16  4  frameCount = ⌈L16 / 320⌉ + 1 (zero-delay framing, DESIGN §1 pitfalls), where
 *         L16 = codedLength(originalLength, originalRate) is the number of 16 kHz samples coded
 *  20  8  model id (16 hex chars = 8 bytes)
 *  28  4  CRC-32 of bytes 0..27
 */
import { CorruptDataError } from '../errors.js';
import { BITRATES, frameBytes, modeIndexOf, type Bitrate } from './modes.js';
import { crc32 } from '../model/model-format.js';

export const HEADER_BYTES = 32;
export const FORMAT_VERSION = 5;
const MAGIC = [0x4e, 0x53, 0x56, 0x51]; // "NSVQ"
const HOP = 320;
/** Bounds that any real input satisfies; a header outside them is corrupt. */
export const MIN_ORIGINAL_RATE = 1000;
export const MAX_ORIGINAL_RATE = 768000;
/** 2^32 − 1 samples at 16 kHz is about 74 hours. */
export const MAX_ORIGINAL_LENGTH = 0xffffffff - 2 * HOP;

export interface StreamHeader {
  version: number;
  bitrate: Bitrate;
  /** Sample rate of the audio given to the encoder before it was resampled to 16 kHz. */
  originalRate: number;
  /** Samples of the input at its original rate (`--rate original` restores exactly this many). */
  originalLength: number;
  frameCount: number;
  /** 16 lowercase hex chars: the id of the model that encoded the stream. */
  modelId: string;
}

export const CODEC_RATE = 16000;

/**
 * Number of 16 kHz samples coded for an input of `originalLength` samples at `originalRate`:
 * round(n·16000/rate), half up, in integer arithmetic — the same formula as the audio module's
 * resampledLength, restated here so the container does not load the resampler.
 */
export function codedLength(originalLength: number, originalRate: number): number {
  if (originalRate === CODEC_RATE) return originalLength;
  return Math.floor((originalLength * CODEC_RATE + Math.floor(originalRate / 2)) / originalRate);
}

/** Frames a signal of `length` samples at 16 kHz needs (one extra for the zero-delay tail). */
export function frameCountFor(length: number): number {
  return Math.ceil(length / HOP) + 1;
}

/** Exact size in bytes of a stream with this header. */
export function streamBytes(h: Pick<StreamHeader, 'bitrate' | 'frameCount'>): number {
  return HEADER_BYTES + h.frameCount * frameBytes(h.bitrate);
}

function checkHeaderFields(h: StreamHeader): string | null {
  if (h.version !== FORMAT_VERSION) {
    return h.version < FORMAT_VERSION
      ? `format version ${h.version} was written by an older nsvq-codec; this one reads version ${FORMAT_VERSION} only (re-encode the audio)`
      : `unsupported format version ${h.version} (this program reads version ${FORMAT_VERSION}; a newer nsvq-codec wrote it)`;
  }
  if (modeIndexOf(h.bitrate) < 0) return `unknown bitrate mode ${h.bitrate}`;
  if (!Number.isInteger(h.originalRate) || h.originalRate < MIN_ORIGINAL_RATE || h.originalRate > MAX_ORIGINAL_RATE) {
    return `original sample rate ${h.originalRate} Hz is out of range`;
  }
  if (!Number.isInteger(h.originalLength) || h.originalLength < 0 || h.originalLength > MAX_ORIGINAL_LENGTH) {
    return `original length ${h.originalLength} is out of range`;
  }
  const frames = frameCountFor(codedLength(h.originalLength, h.originalRate));
  if (frames > 0xffffffff) return `length ${h.originalLength} at ${h.originalRate} Hz needs more frames than a stream can hold`;
  if (h.frameCount !== frames) {
    return `frame count ${h.frameCount} does not match the length ${h.originalLength} at ${h.originalRate} Hz (expected ${frames})`;
  }
  if (!/^[0-9a-f]{16}$/.test(h.modelId)) return `model id '${h.modelId}' is not 16 hex characters`;
  return null;
}

export function writeHeader(h: StreamHeader): Uint8Array {
  const problem = checkHeaderFields(h);
  if (problem) throw new RangeError(`writeHeader: ${problem}`);
  const out = new Uint8Array(HEADER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = h.version;
  out[5] = modeIndexOf(h.bitrate);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, h.originalRate, true);
  dv.setUint32(12, h.originalLength, true);
  dv.setUint32(16, h.frameCount, true);
  for (let i = 0; i < 8; i++) out[20 + i] = parseInt(h.modelId.slice(2 * i, 2 * i + 2), 16);
  dv.setUint32(28, crc32(out, 0, 28), true);
  return out;
}

/**
 * Parse and validate a header. `bytes` holds at least the header; `totalLength` is the size of
 * the whole stream (default bytes.length) and must equal header + frames × frame bytes exactly.
 * Any problem is a CorruptDataError with a one-line reason.
 */
export function readHeader(bytes: Uint8Array, totalLength: number = bytes.length): { header: StreamHeader; headerBytes: number } {
  if (bytes.length < 4 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new CorruptDataError('not an nsvq-codec stream (bad magic)');
  }
  if (bytes.length < HEADER_BYTES) throw new CorruptDataError(`truncated stream: ${bytes.length} bytes, header needs ${HEADER_BYTES}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (dv.getUint32(28, true) !== crc32(bytes, 0, 28)) throw new CorruptDataError('stream header checksum mismatch (corrupt header)');
  if (dv.getUint16(6, true) !== 0) throw new CorruptDataError('stream header has non-zero reserved bits');
  const mode = bytes[5];
  if (mode >= BITRATES.length) throw new CorruptDataError(`unknown bitrate mode ${mode}`);
  let modelId = '';
  for (let i = 0; i < 8; i++) modelId += bytes[20 + i].toString(16).padStart(2, '0');
  const header: StreamHeader = {
    version: bytes[4],
    bitrate: BITRATES[mode],
    originalRate: dv.getUint32(8, true),
    originalLength: dv.getUint32(12, true),
    frameCount: dv.getUint32(16, true),
    modelId,
  };
  const problem = checkHeaderFields(header);
  if (problem) throw new CorruptDataError(problem);
  const expected = streamBytes(header);
  if (totalLength !== expected) {
    throw new CorruptDataError(
      totalLength < expected
        ? `truncated stream: ${totalLength} bytes, header says ${expected}`
        : `stream has ${totalLength - expected} trailing bytes after its ${header.frameCount} frames`,
    );
  }
  return { header, headerBytes: HEADER_BYTES };
}
