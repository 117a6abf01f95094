/**
 * Generator of the range coder's integer tables (DESIGN §1 "Determinism"; issue 5: "Derive
 * every coder table from integers or quantized indices").
 *
 * The per-scale Laplacian frequencies and the harmonic comb's scale-index offsets come from
 * Math.exp / Math.log2 / Math.cos, whose last bit ECMAScript leaves to the engine. Building them
 * at module load could therefore give a different JS engine different integer tables, and its
 * decoder would desynchronise. So they are computed ONCE here and committed as integers in
 * `src/model/entropy-tables.ts`; the codec only reads that file. test/coding-tables.test.ts
 * regenerates them and requires the committed module to be byte-identical.
 *
 *   npm run build && node dist/src/model/generate-entropy-tables.js   # rewrites the module
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The table definition lives in entropy-table-spec.ts (shared with entropy-model.ts, so that
// neither loads the other); the generator's private knobs stay here.
import {
  GEN_COMB_BINS, GEN_COMB_DEPTH, GEN_COMB_LAGS, GEN_NUM_SCALES, GEN_ROUNDING_OFFSET, GEN_SCALE_ORIGIN,
  GEN_STEPS_PER_OCTAVE, GEN_TABLE_SYMBOLS, GEN_TABLE_TOTAL_BITS,
} from './entropy-table-spec.js';

export {
  GEN_COMB_BINS, GEN_COMB_DEPTH, GEN_COMB_LAGS, GEN_NUM_SCALES, GEN_ROUNDING_OFFSET, GEN_SCALE_ORIGIN,
  GEN_STEPS_PER_OCTAVE, GEN_TABLE_SYMBOLS, GEN_TABLE_TOTAL_BITS,
};

/** Target largest table scale: bigger scales send low bits raw. */
const SPLIT_SCALE = 6;
const COMB_BAND = 20;

export interface EntropyTables {
  /** Raw low bits L_j per scale index (NUM_SCALES). */
  lowBits: Uint8Array;
  /** Symbol frequencies, NUM_SCALES rows of TABLE_SYMBOLS + 1 (the last is ESC), each row sums to 2^15. */
  freqs: Uint16Array;
  /** Comb scale-index offsets, COMB_LAGS rows of COMB_BINS. */
  combOffsets: Int8Array;
}

function laplaceTail(n: number, b: number): number {
  // P(m ≥ n) for the dead-zone quantizer: P(|u| ≥ n − 0.3); P(m ≥ 0) = 1.
  if (n <= 0) return 1;
  return Math.exp(-(n - GEN_ROUNDING_OFFSET) / b);
}

/** Integer frequencies of scale index j: 1 + ⌊p·(T − symbols)⌋, remainder to the likeliest symbol. */
function scaleRow(j: number, freqOut: Uint16Array, at: number): number {
  const b = 2 ** ((j - GEN_SCALE_ORIGIN) / GEN_STEPS_PER_OCTAVE);
  let lowBits = 0;
  while (b / 2 ** lowBits > SPLIT_SCALE) lowBits++;
  const chunk = 2 ** lowBits;
  const nsym = GEN_TABLE_SYMBOLS + 1;
  const total = 1 << GEN_TABLE_TOTAL_BITS;
  const p = new Float64Array(nsym);
  for (let h = 0; h < GEN_TABLE_SYMBOLS; h++) p[h] = laplaceTail(h * chunk, b) - laplaceTail((h + 1) * chunk, b);
  p[GEN_TABLE_SYMBOLS] = laplaceTail(GEN_TABLE_SYMBOLS * chunk, b);
  let sum = 0;
  let best = 0;
  for (let s = 0; s < nsym; s++) {
    const f = 1 + Math.floor(p[s] * (total - nsym));
    freqOut[at + s] = f;
    sum += f;
    if (p[s] > p[best]) best = s;
  }
  freqOut[at + best] += total - sum;
  return lowBits;
}

function combRow(i: number, out: Int8Array, at: number): void {
  const P = 3.0 + 0.1 * i;
  const c = new Float64Array(GEN_COMB_BINS);
  for (let k = 0; k < GEN_COMB_BINS; k++) c[k] = Math.exp(GEN_COMB_DEPTH * Math.cos((2 * Math.PI * (k + 0.5)) / P));
  for (let b0 = 0; b0 < GEN_COMB_BINS; b0 += COMB_BAND) {
    let mean = 0;
    for (let k = b0; k < b0 + COMB_BAND; k++) mean += c[k];
    mean /= COMB_BAND;
    for (let k = b0; k < b0 + COMB_BAND; k++) out[at + k] = Math.round(GEN_STEPS_PER_OCTAVE * Math.log2(c[k] / mean));
  }
}

/** Compute the tables from their float definitions (the ONLY place those floats are used). */
export function computeEntropyTables(): EntropyTables {
  const nsym = GEN_TABLE_SYMBOLS + 1;
  const lowBits = new Uint8Array(GEN_NUM_SCALES);
  const freqs = new Uint16Array(GEN_NUM_SCALES * nsym);
  for (let j = 0; j < GEN_NUM_SCALES; j++) lowBits[j] = scaleRow(j, freqs, j * nsym);
  const combOffsets = new Int8Array(GEN_COMB_LAGS * GEN_COMB_BINS);
  for (let i = 0; i < GEN_COMB_LAGS; i++) combRow(i, combOffsets, i * GEN_COMB_BINS);
  return { lowBits, freqs, combOffsets };
}

/** A long string literal as concatenated `width`-character literals, one per line (readable diffs). */
export function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(`  '${text.slice(i, i + width)}' +`);
  return lines.join('\n').replace(/ \+$/, '');
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Little-endian bytes of a Uint16Array (independent of the platform's byte order). */
function uint16Bytes(a: Uint16Array): Uint8Array {
  const out = new Uint8Array(a.length * 2);
  for (let i = 0; i < a.length; i++) {
    out[2 * i] = a[i] & 0xff;
    out[2 * i + 1] = a[i] >>> 8;
  }
  return out;
}

/** The text of src/model/entropy-tables.ts for these tables. */
export function renderEntropyTablesModule(t: EntropyTables): string {
  const comb = new Uint8Array(t.combOffsets.buffer, t.combOffsets.byteOffset, t.combOffsets.byteLength);
  return `/**
 * GENERATED by src/model/generate-entropy-tables.ts — do not edit. Regenerate with
 *   npm run build && node dist/src/model/generate-entropy-tables.js
 * test/coding-tables.test.ts fails if this file differs from a fresh generation.
 *
 * Integer range-coder tables (DESIGN §1 "Determinism"): the coder reads only these, so encoder
 * and decoder agree bit for bit on any JS engine. Stored as base64 of the integer arrays:
 *   SCALE_LOW_BITS: ${GEN_NUM_SCALES} raw low-bit counts, one per scale index;
 *   SCALE_FREQS_B64: ${GEN_NUM_SCALES} × ${GEN_TABLE_SYMBOLS + 1} uint16 little-endian symbol frequencies (last = ESC), rows sum to 2^${GEN_TABLE_TOTAL_BITS};
 *   COMB_OFFSETS_B64: ${GEN_COMB_LAGS} × ${GEN_COMB_BINS} int8 comb scale-index offsets.
 */

export const SCALE_LOW_BITS: readonly number[] = [${Array.from(t.lowBits).join(', ')}];

export const SCALE_FREQS_B64 =
${wrap(base64(uint16Bytes(t.freqs)))};

export const COMB_OFFSETS_B64 =
${wrap(base64(comb))};
`;
}

/** Where the generated module lives, from this file's location (src/model or dist/src/model). */
export function entropyTablesModulePath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.basename(path.dirname(path.dirname(here))) === 'dist' ? path.resolve(here, '../../..') : path.resolve(here, '../..');
  return path.join(root, 'src', 'model', 'entropy-tables.ts');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = entropyTablesModulePath();
  writeFileSync(out, renderEntropyTablesModule(computeEntropyTables()));
  console.log(`wrote ${out}`);
}
