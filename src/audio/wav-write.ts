/**
 * 16-bit PCM WAV output, always atomic: the file appears under its final name complete, or
 * not at all (issue 2: "Never write a partial output file").
 */
import { AtomicFileWriter, writeFileAtomic } from '../util/atomic-file.js';
import { UserError } from '../errors.js';
import { checkRate, encodePcm16, MAX_DATA_BYTES, wav16File, wav16Header } from './wav-bytes.js';

export { encodePcm16, wav16File, wav16Header };

/** File-system failures on the output path are the user's to fix: one line, exit 1. */
function outputError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOENT: 'no such directory', ENOTDIR: 'a parent is not a directory', EACCES: 'permission denied',
    EPERM: 'permission denied', EISDIR: 'is a directory', ENOSPC: 'no space left on device', EROFS: 'read-only file system',
  };
  return code && why[code] ? new UserError(`cannot write ${path}: ${why[code]}`) : err;
}

/** Write mono 16-bit PCM WAV atomically. */
export async function writeWav16(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  const file = wav16File(samples, sampleRate);
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
