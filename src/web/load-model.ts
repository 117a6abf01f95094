/**
 * loadModel for web pages and workers: a model file from bytes already in memory, or fetched
 * from a URL (the demo page serves codec/model.nsvqm beside its scripts). Parsing is the
 * portable parser of model-format.ts, so the id (sha256) matches the Node loader's.
 */
import { CorruptDataError, UserError } from '../errors.js';
import { parseModel, type CodecModel } from '../model/model-format.js';

/** Model bytes, or where to fetch them (a string is a URL, resolved against the page). */
export type ModelSource = ArrayBuffer | Uint8Array | URL | string;

function asBytes(source: ArrayBuffer | Uint8Array): Uint8Array {
  return source instanceof Uint8Array ? source : new Uint8Array(source);
}

/** Parse model bytes, or fetch and parse a model file. UserError for a failed fetch, CorruptDataError for a bad file. */
export async function loadModel(source: ModelSource): Promise<CodecModel> {
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return parseModel(asBytes(source));
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new UserError('loadModel: expected an ArrayBuffer, a Uint8Array, a URL or a URL string');
  }
  const url = String(source);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new UserError(`cannot fetch the model from ${url}: ${(err as Error).message}`);
  }
  if (!response.ok) throw new UserError(`cannot fetch the model from ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  const bytes = new Uint8Array(await response.arrayBuffer());
  try {
    return parseModel(bytes);
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${url}: ${err.message}`);
    throw err;
  }
}
