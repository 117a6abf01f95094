/**
 * Opening a bitstream file: its header validated against the file size, and a positional reader
 * for its frames (used by `decode` and `info`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HEADER_BYTES, readHeader, type StreamHeader } from '../coding/container.js';
import { CorruptDataError, UserError } from '../errors.js';

/** An open stream file: its validated header and a reader for its bytes. */
export interface StreamFile {
  header: StreamHeader;
  size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Open a bitstream and validate its header against the file size (CorruptDataError if wrong). */
export function openStreamFile(path: string): StreamFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`not a file: ${path}`);
    const read = (offset: number, length: number): Uint8Array => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, st.size - offset)));
      let got = 0;
      while (got < buf.length) {
        const r = readSync(fd, buf, got, buf.length - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      if (got !== buf.length) throw new CorruptDataError(`${path}: file changed while reading`);
      return buf;
    };
    let header: StreamHeader;
    try {
      header = readHeader(read(0, HEADER_BYTES), st.size).header;
    } catch (err) {
      if (err instanceof CorruptDataError) throw new CorruptDataError(`${path}: ${err.message}`);
      throw err;
    }
    return { header, size: st.size, read, close: () => closeSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
