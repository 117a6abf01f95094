/**
 * The definition of the range coder's integer tables, shared by their generator
 * (generate-entropy-tables.ts, which computes the committed tables from it) and the codec
 * (entropy-model.ts, which re-exports these values and checks the tables' shapes). Kept apart so
 * the codec (and the browser entry) never load the generator, a Node script using node:fs.
 */
export const GEN_ROUNDING_OFFSET = 0.3;
export const GEN_STEPS_PER_OCTAVE = 16;
export const GEN_SCALE_ORIGIN = 128;
export const GEN_NUM_SCALES = 320;
export const GEN_TABLE_SYMBOLS = 48;
export const GEN_TABLE_TOTAL_BITS = 15;
export const GEN_COMB_LAGS = 128;
export const GEN_COMB_BINS = 200;
/** Peak-to-mean depth of the comb, exp(κ cos φ). */
export const GEN_COMB_DEPTH = 1.0;
