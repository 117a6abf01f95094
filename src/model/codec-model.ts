/**
 * The codec model for Node: everything in model-format.ts (types, format, parsing), plus reading
 * model files from disk and native digests (node:crypto's sha256, zlib's CRC-32) in place of the
 * portable ones, with identical results.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { CorruptDataError, UserError } from '../errors.js';
import { crc32 as portableCrc32, MODEL_FILE_NAME, parseModel as parsePortable, type CodecModel } from './model-format.js';

export * from './model-format.js';

/** zlib's native CRC-32 where this Node has it (20.15+): the same function, without a cold JS loop over the model. */
const nativeCrc32: ((data: Uint8Array) => number) | undefined = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE 802.3, reflected, as in zlib/PNG); native for long inputs where available. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 !== undefined && end - start >= 4096) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return portableCrc32(bytes, start, end);
}

/** The model id: the first 16 hex chars of the sha256 of the model file's bytes. */
export function modelIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Read and fully validate a model file (model-format.ts), with native digests. */
export function parseModel(bytes: Uint8Array): CodecModel {
  return parsePortable(bytes, { crc32, modelId: modelIdOf });
}

// ---------------------------------------------------------------------------------------------
// Loading

/**
 * The package root (the folder with nsvq-codec's package.json), found from this module's own
 * location so it works from `src/model/` (vitest) and `dist/src/model/` (built) alike.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'nsvq-codec') return dir;
      } catch { /* not ours; keep looking */ }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the nsvq-codec package root from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The shipped model folder, `codec/` in the package. */
export function defaultModelDir(): string {
  return path.join(packageRoot(), 'codec');
}

/** Where `loadModel(dirOrFile)` reads from: a folder means its `model.nsvqm`. */
export function modelFilePath(dirOrFile?: string): string {
  const p = dirOrFile ?? defaultModelDir();
  return existsSync(p) && statSync(p).isDirectory() ? path.join(p, MODEL_FILE_NAME) : p;
}

/**
 * Load and validate a model. `dir` is a model folder (holding `model.nsvqm`) or a model file;
 * default: the shipped `codec/` folder. A missing file is a UserError, a bad one CorruptDataError.
 */
export function loadModel(dir?: string): CodecModel {
  const file = modelFilePath(dir);
  if (!existsSync(file)) {
    throw new UserError(dir === undefined
      ? `the shipped model ${file} is missing (run \`npm run build:model\`)`
      : `model not found: ${file}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UserError(`cannot read model ${file}: ${(err as Error).message}`);
  }
  try {
    return parseModel(bytes);
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${file}: ${err.message}`);
    throw err;
  }
}
