/**
 * 16-bit PCM WAV output, always atomic: the file appears under its final name complete, or
 * not at all (issue 2: "Never write a partial output file").
 */
import { AtomicFileWriter, writeFileAtomic } from '../util/atomic-file.js';
import { UserError } from '../errors.js';

const HEADER_BYTES = 44;
/** RIFF sizes are 32-bit: the RIFF chunk (36 + data) must fit. */
const MAX_DATA_BYTES = 0xffffffff - 36;

/** Canonical 44-byte header for mono 16-bit PCM with `dataBytes` of audio. */
export function wav16Header(sampleRate: number, dataBytes: number, channels = 1): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  const v = new DataView(h.buffer);
  const ascii = (off: number, s: string) => { for (let i = 0; i < s.length; i++) h[off + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return h;
}

/**
 * Float samples → little-endian int16 bytes: clip to [-1, 1], scale by 32768 (the reader's
 * divisor, so k/32768 round-trips exactly), round to nearest, and clamp +1.0 to 32767.
 */
export function encodePcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    let s = samples[i];
    // NaN would otherwise become 0 silently; treat it as a bug upstream.
    if (Number.isNaN(s)) throw new Error(`writeWav16: sample ${i} is NaN`);
    s = s > 1 ? 1 : s < -1 ? -1 : s;
    const q = Math.round(s * 32768);
    v.setInt16(2 * i, q > 32767 ? 32767 : q, true);
  }
  return out;
}

/** File-system failures on the output path are the user's to fix: one line, exit 1. */
function outputError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOENT: 'no such directory', ENOTDIR: 'a parent is not a directory', EACCES: 'permission denied',
    EPERM: 'permission denied', EISDIR: 'is a directory', ENOSPC: 'no space left on device', EROFS: 'read-only file system',
  };
  return code && why[code] ? new UserError(`cannot write ${path}: ${why[code]}`) : err;
}

function checkRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0x7fffffff / 2) {
    throw new UserError(`cannot write WAV at sample rate ${sampleRate}`);
  }
}

/** Write mono 16-bit PCM WAV atomically. */
export async function writeWav16(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  checkRate(sampleRate);
  const dataBytes = samples.length * 2;
  if (dataBytes > MAX_DATA_BYTES) throw new UserError(`output too long for a WAV file: ${samples.length} samples`);
  const file = new Uint8Array(HEADER_BYTES + dataBytes);
  file.set(wav16Header(sampleRate, dataBytes), 0);
  file.set(encodePcm16(samples), HEADER_BYTES);
  try {
    await writeFileAtomic(path, file);
  } catch (err) {
    throw outputError(path, err);
  }
}

/**
 * Streaming mono 16-bit WAV writer: a placeholder header first, audio as it comes, sizes
 * patched on `commit()`, which also renames the file into place. `abort()` (or an error before
 * commit) leaves no file under the final name.
 */
export class WavWriter16 {
  private readonly file: AtomicFileWriter;
  private readonly path: string;
  private dataBytes = 0;
  private closed = false;

  constructor(path: string, private readonly sampleRate: number) {
    checkRate(sampleRate);
    try {
      this.file = new AtomicFileWriter(path);
    } catch (err) {
      throw outputError(path, err);
    }
    this.path = path;
    this.file.write(wav16Header(sampleRate, 0));
  }

  /** Samples written so far. */
  get length(): number {
    return this.dataBytes / 2;
  }

  write(samples: Float32Array): void {
    if (this.closed) throw new Error('WavWriter16: write after commit/abort');
    if (this.dataBytes + samples.length * 2 > MAX_DATA_BYTES) {
      this.abort();
      throw new UserError('output too long for a WAV file (over 4 GiB)');
    }
    try {
      this.file.write(encodePcm16(samples));
    } catch (err) {
      this.abort();
      throw outputError(this.path, err);
    }
    this.dataBytes += samples.length * 2;
  }

  commit(): void {
    if (this.closed) throw new Error('WavWriter16: commit after commit/abort');
    this.closed = true;
    try {
      this.file.write(wav16Header(this.sampleRate, this.dataBytes), 0);
      this.file.commit();
    } catch (err) {
      this.file.abort();
      throw outputError(this.path, err);
    }
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.abort();
  }
}
