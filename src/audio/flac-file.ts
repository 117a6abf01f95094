/**
 * FLAC files from disk through the push decoder of flac.ts, read in chunks so memory stays
 * bounded by a few frames (issue 5).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.js';
import { FLAC_READ_BYTES, FlacStreamDecoder, joinBlocks, type DecodedFlac, type FlacBlock, type FlacStreamInfo } from './flac.js';

/** Open a file for reading, turning the usual failures into one-line UserErrors. */
function openInput(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`no such file: ${path}`);
    if (code === 'EACCES') throw new UserError(`permission denied: ${path}`);
    if (code === 'EISDIR') throw new UserError(`is a directory, not an audio file: ${path}`);
    throw err;
  }
}

/**
 * Decode a FLAC file as a sequence of blocks, reading `chunkBytes` at a time (memory: a few
 * frames). The file is opened on the first `next()` and closed when the generator ends or is
 * abandoned (`return()`), so an un-iterated generator holds nothing open. Throws UserError for
 * unreadable, corrupt or truncated files.
 */
export function* flacFileBlocks(path: string, chunkBytes = FLAC_READ_BYTES): Generator<FlacBlock, FlacStreamInfo> {
  const fd = openInput(path);
  try {
    const dec = new FlacStreamDecoder(path);
    const chunk = new Uint8Array(chunkBytes);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      yield* dec.push(chunk.subarray(0, n));
    }
    yield* dec.finish();
    return dec.streamInfo as FlacStreamInfo;
  } finally {
    closeSync(fd);
  }
}

/** STREAMINFO of a FLAC file, reading only as far as the metadata (large blocks are skipped, not read). */
export function readFlacStreamInfo(path: string): FlacStreamInfo {
  const fd = openInput(path);
  try {
    const dec = new FlacStreamDecoder(path);
    // Small reads: STREAMINFO is the first metadata block, so little audio is decoded on the way.
    const chunk = new Uint8Array(1024);
    let pos = 0;
    for (;;) {
      if (dec.streamInfo) return dec.streamInfo;
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) {
        dec.finish(); // throws: the file ends before STREAMINFO
        throw new UserError(`truncated FLAC file: ${path}: the input ends before STREAMINFO`);
      }
      pos += n;
      dec.push(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Decode a whole FLAC file, read in chunks (the output is whole, the input never is). */
export function decodeFlacFile(path: string): DecodedFlac {
  const blocks: FlacBlock[] = [];
  const it = flacFileBlocks(path);
  let r = it.next();
  while (!r.done) {
    blocks.push(r.value);
    r = it.next();
  }
  return { info: r.value, channels: joinBlocks(blocks, r.value.channels) };
}
