/**
 * A strict RIFF/WAVE reader of our own (DESIGN §5, issue 2 "Audio input").
 *
 * Supports integer PCM (8-bit unsigned; 16/24/32-bit signed, or any container width with
 * left-justified valid bits), IEEE float 32/64, and WAVE_FORMAT_EXTENSIBLE with a PCM or float
 * sub-format; any channel count and sample rate. Unknown chunks are skipped, odd-sized chunks
 * honour the RIFF pad byte. Every problem with the file is a UserError naming the file.
 *
 * The chunk walk works through a random-access `ByteSource`, so the streaming reader
 * (stream.ts) can locate the audio without loading it.
 */
import { UserError } from '../errors.js';

export type WavSampleEncoding = 'pcm' | 'float';

export interface WavFormat {
  /** Effective format after resolving WAVE_FORMAT_EXTENSIBLE: 1 = PCM, 3 = IEEE float. */
  encoding: WavSampleEncoding;
  /** Container width of one sample in bytes (1..4 for PCM, 4 or 8 for float). */
  bytesPerSample: number;
  /** bitsPerSample as written in the fmt chunk. */
  bitsPerSample: number;
  channels: number;
  sampleRate: number;
  /** Bytes per frame (all channels of one sample instant). */
  blockAlign: number;
}

export interface WavLayout {
  format: WavFormat;
  /** Byte offset of the first audio byte in the file. */
  dataOffset: number;
  /** Audio bytes available (whole frames only). */
  dataBytes: number;
  /** Number of frames (samples per channel). */
  frameCount: number;
}

/** Random access to the bytes of a file (a buffer in memory, or a file descriptor). */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer only at the end of the source). */
  read(offset: number, length: number): Uint8Array;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Tail shared by the KSDATAFORMAT_SUBTYPE_* GUIDs whose first two bytes are the format tag. */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
/** data size written by streaming writers that did not know the length: read to end of file. */
const UNKNOWN_DATA_SIZE = 0xffffffff;

/** Names of common encodings we do not decode, so the error message can say what the file is. */
const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0016: 'ITU G.723 ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'ITU G.721 ADPCM',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3 (MP3)',
  0x0092: 'Dolby AC-3',
  0x00ff: 'AAC',
  0x0161: 'Windows Media Audio',
  0x0162: 'Windows Media Audio Pro',
  0x1610: 'MPEG-4 AAC',
  0xf1ac: 'FLAC',
};

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && off + i < b.length; i++) s += String.fromCharCode(b[off + i]);
  return s;
}

function u16(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

function u32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 0x1000000;
}

function formatName(tag: number): string {
  const hex = `0x${tag.toString(16).padStart(4, '0')}`;
  const name = FORMAT_NAMES[tag];
  return name ? `${name} (format ${hex})` : `format ${hex}`;
}

/** True when the first bytes look like a RIFF/WAVE (or RIFX/RF64) file. */
export function looksLikeWav(head: Uint8Array): boolean {
  const riff = ascii(head, 0, 4);
  return (riff === 'RIFF' || riff === 'RIFX' || riff === 'RF64') && ascii(head, 8, 4) === 'WAVE';
}

function parseFmt(b: Uint8Array, name: string): WavFormat {
  if (b.length < 16) throw new UserError(`invalid WAV: ${name}: fmt chunk is ${b.length} bytes, expected at least 16`);
  let tag = u16(b, 0);
  const channels = u16(b, 2);
  const sampleRate = u32(b, 4);
  const blockAlign = u16(b, 12);
  const bitsPerSample = u16(b, 14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (b.length < 40) throw new UserError(`invalid WAV: ${name}: WAVE_FORMAT_EXTENSIBLE fmt chunk is ${b.length} bytes, expected 40`);
    const sub = u16(b, 24);
    const tailOk = SUBFORMAT_GUID_TAIL.every((v, i) => b[26 + i] === v);
    if (!tailOk) throw new UserError(`unsupported WAV encoding in ${name}: WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID`);
    tag = sub;
  }
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new UserError(`unsupported WAV encoding in ${name}: ${formatName(tag)}; convert it to PCM or float WAV, FLAC, Ogg or MP3`);
  }
  if (channels < 1) throw new UserError(`invalid WAV: ${name}: channel count is 0`);
  if (sampleRate < 1) throw new UserError(`invalid WAV: ${name}: sample rate is 0`);
  if (blockAlign < channels || blockAlign % channels !== 0) {
    throw new UserError(`invalid WAV: ${name}: block align ${blockAlign} does not fit ${channels} channel(s)`);
  }
  const bytesPerSample = blockAlign / channels;
  const encoding: WavSampleEncoding = tag === WAVE_FORMAT_PCM ? 'pcm' : 'float';
  if (encoding === 'float') {
    if (!((bytesPerSample === 4 && bitsPerSample === 32) || (bytesPerSample === 8 && bitsPerSample === 64))) {
      throw new UserError(`unsupported WAV encoding in ${name}: ${bitsPerSample}-bit float (only 32- and 64-bit float are supported)`);
    }
  } else {
    // Valid bits are left-justified in a container of blockAlign/channels bytes.
    if (bytesPerSample > 4 || bitsPerSample < 1 || bitsPerSample > 8 * bytesPerSample) {
      throw new UserError(`unsupported WAV encoding in ${name}: ${bitsPerSample}-bit PCM in ${8 * bytesPerSample}-bit containers`);
    }
  }
  return { encoding, bytesPerSample, bitsPerSample, channels, sampleRate, blockAlign };
}

/**
 * Walk the RIFF chunks and locate fmt and data. Throws a UserError for anything that is not a
 * complete, decodable WAV file: "truncated WAV: expected N bytes of audio, found M" when the data
 * chunk is shorter than its header says.
 */
export function readWavLayout(src: ByteSource, name: string): WavLayout {
  if (src.size === 0) throw new UserError(`empty file: ${name}`);
  const head = src.read(0, 12);
  const riff = ascii(head, 0, 4);
  if (head.length < 12 || ascii(head, 8, 4) !== 'WAVE' || (riff !== 'RIFF' && riff !== 'RIFX' && riff !== 'RF64')) {
    throw new UserError(`not a WAV file: ${name} (no RIFF/WAVE header)`);
  }
  if (riff === 'RIFX') throw new UserError(`unsupported WAV variant in ${name}: big-endian RIFX`);
  if (riff === 'RF64') throw new UserError(`unsupported WAV variant in ${name}: RF64 (WAV over 4 GiB)`);
  let format: WavFormat | undefined;
  let off = 12;
  while (off + 8 <= src.size) {
    const h = src.read(off, 8);
    const id = ascii(h, 0, 4);
    const size = u32(h, 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (body + size > src.size) throw new UserError(`truncated WAV: ${name}: fmt chunk runs past the end of the file`);
      format = parseFmt(src.read(body, size), name);
    } else if (id === 'data') {
      if (!format) throw new UserError(`invalid WAV: ${name}: data chunk comes before the fmt chunk`);
      const available = src.size - body;
      let dataBytes = size;
      if (size === UNKNOWN_DATA_SIZE) dataBytes = available;
      else if (size > available) {
        throw new UserError(`truncated WAV: ${name}: expected ${size} bytes of audio, found ${available}`);
      }
      // A trailing partial frame cannot be decoded; drop it.
      const frameCount = Math.floor(dataBytes / format.blockAlign);
      return { format, dataOffset: body, dataBytes: frameCount * format.blockAlign, frameCount };
    }
    off = body + size + (size & 1);
  }
  if (!format) throw new UserError(`invalid WAV: ${name}: no fmt chunk`);
  throw new UserError(`invalid WAV: ${name}: no data chunk`);
}

/**
 * Decode `frames` whole frames of interleaved audio from `bytes` (which starts on a frame
 * boundary) into `out[c]` starting at `outOffset`. Samples are scaled to [-1, 1): integer PCM
 * divides by 2^(container bits − 1) (8-bit is unsigned, offset 128). Non-finite float samples
 * are rejected; `firstFrame` (the file position of bytes[0], in frames) makes the error name
 * the right sample.
 */
export function decodeWavFrames(
  bytes: Uint8Array, format: WavFormat, frames: number, out: Float32Array[], outOffset: number, name: string,
  firstFrame = outOffset,
): void {
  const { channels, bytesPerSample, blockAlign, encoding } = format;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let c = 0; c < channels; c++) {
    const dst = out[c];
    let p = c * bytesPerSample;
    if (encoding === 'float') {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const v = bytesPerSample === 4 ? view.getFloat32(p, true) : view.getFloat64(p, true);
        if (!Number.isFinite(v)) {
          throw new UserError(`invalid audio in ${name}: sample ${firstFrame + i} of channel ${c + 1} is ${v} (NaN/Inf)`);
        }
        dst[outOffset + i] = v;
      }
    } else if (bytesPerSample === 1) {
      for (let i = 0; i < frames; i++, p += blockAlign) dst[outOffset + i] = (bytes[p] - 128) / 128;
    } else if (bytesPerSample === 2) {
      for (let i = 0; i < frames; i++, p += blockAlign) dst[outOffset + i] = view.getInt16(p, true) / 32768;
    } else if (bytesPerSample === 3) {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const v = (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8 >> 8;
        dst[outOffset + i] = v / 8388608;
      }
    } else {
      for (let i = 0; i < frames; i++, p += blockAlign) dst[outOffset + i] = view.getInt32(p, true) / 2147483648;
    }
  }
}

export interface WavAudio {
  channels: Float32Array[];
  sampleRate: number;
  format: WavFormat;
}

/** Parse a whole WAV file held in memory. */
export function parseWav(bytes: Uint8Array, name = 'input'): WavAudio {
  const layout = readWavLayout(bufferSource(bytes), name);
  const { format, frameCount, dataOffset, dataBytes } = layout;
  const channels = Array.from({ length: format.channels }, () => new Float32Array(frameCount));
  decodeWavFrames(bytes.subarray(dataOffset, dataOffset + dataBytes), format, frameCount, channels, 0, name);
  return { channels, sampleRate: format.sampleRate, format };
}
