/**
 * Precomputed principal axes of the shipped model's codebooks, for the encoder's nearest-codeword
 * searchers (msvq-search.ts). Computing them (a 16×16 scatter over 4096 codewords and Jacobi
 * sweeps, in still-cold code) was the largest single cost of `nsvq-codec encode`'s start-up
 * (issue 15). The table is generated (generate-search-axes.ts) and applies only to the model id
 * it was made from; any other model computes its axes at load, with the same result.
 */
import { bytesOfBase64 } from '../util/base64.js';
import { SHIPPED_AXES_B64, SHIPPED_AXES_DIM, SHIPPED_AXES_MODEL_ID } from './shipped-search-axes.js';

const decoded = new Map<number, Float64Array>();

function float64sOfBase64(b64: string): Float64Array {
  const bytes = bytesOfBase64(b64);
  // Stored little-endian; DataView reads them so on any host.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength >> 3);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** Axes of stage `stage` of the shipped model, or undefined for any other model or shape. */
export function shippedSearchAxes(modelId: string, stage: number, dim: number): Float64Array | undefined {
  if (modelId !== SHIPPED_AXES_MODEL_ID || dim !== SHIPPED_AXES_DIM || stage < 0 || stage >= SHIPPED_AXES_B64.length) return undefined;
  let axes = decoded.get(stage);
  if (axes === undefined) {
    axes = float64sOfBase64(SHIPPED_AXES_B64[stage]);
    if (axes.length !== dim * dim) return undefined;
    decoded.set(stage, axes);
  }
  return axes;
}
