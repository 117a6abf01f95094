import { randomBytes } from 'node:crypto';
import { promises as fs, openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** A temporary name beside `target`, so the final rename stays on one file system. */
export function temporaryPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write `data` to `target` so that `target` is either untouched or complete: write a temporary
 * file beside it, flush it, then rename. A crash or error never leaves a partial output.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = temporaryPathFor(target);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * A file that is written in pieces (a streaming encoder or decoder) and appears under its
 * final name only when `commit()` is called. `abort()` removes the temporary file.
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private fd: number;
  private done = false;
  bytesWritten = 0;

  constructor(target: string) {
    this.target = target;
    this.tempPath = temporaryPathFor(target);
    this.fd = openSync(this.tempPath, 'w');
  }

  write(chunk: Uint8Array, position?: number): void {
    if (this.done) throw new Error('AtomicFileWriter: write after commit/abort');
    let off = 0;
    while (off < chunk.length) {
      off += writeSync(this.fd, chunk, off, chunk.length - off, position === undefined ? null : position + off);
    }
    if (position === undefined) this.bytesWritten += chunk.length;
  }

  commit(): void {
    if (this.done) return;
    this.done = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tempPath, this.target);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try { closeSync(this.fd); } catch { /* already closed */ }
    try { unlinkSync(this.tempPath); } catch { /* already gone */ }
  }
}
