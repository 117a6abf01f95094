import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  computeEntropyTables,
  entropyTablesModulePath,
  renderEntropyTablesModule,
} from '../src/model/generate-entropy-tables.js';
import { COMB_BINS, COMB_LAGS, COMB_OFFSETS, NUM_SCALES, SCALE_TABLES, TABLE_SYMBOLS } from '../src/model/entropy-model.js';

describe('generated integer coder tables (determinism, DESIGN §1)', () => {
  const fresh = computeEntropyTables();

  it('the committed src/model/entropy-tables.ts is exactly what the generator produces', () => {
    const committed = readFileSync(entropyTablesModulePath(), 'utf8');
    expect(committed === renderEntropyTablesModule(fresh), 'entropy-tables.ts drifted: regenerate it').toBe(true);
  });

  it('the coder uses exactly the generated integers', () => {
    const nsym = TABLE_SYMBOLS + 1;
    const bad: string[] = [];
    for (let j = 0; j < NUM_SCALES; j++) {
      const t = SCALE_TABLES[j];
      if (t.lowBits !== fresh.lowBits[j]) bad.push(`lowBits ${j}`);
      for (let s = 0; s < nsym; s++) if (t.cdf[s + 1] - t.cdf[s] !== fresh.freqs[j * nsym + s]) bad.push(`freq ${j}/${s}`);
    }
    for (let i = 0; i < COMB_LAGS; i++) {
      for (let k = 0; k < COMB_BINS; k++) if (COMB_OFFSETS[i][k] !== fresh.combOffsets[i * COMB_BINS + k]) bad.push(`comb ${i}/${k}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('a changed table is detected (the drift check can fail)', () => {
    const altered = { ...fresh, freqs: fresh.freqs.slice() };
    altered.freqs[5] += 1;
    expect(renderEntropyTablesModule(altered)).not.toBe(renderEntropyTablesModule(fresh));
  });
});
