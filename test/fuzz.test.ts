import { describe, expect, it } from 'vitest';
import { encodeSpeech } from '../src/codec/codec.js';
import { fuzzDecoder } from '../src/codec/fuzz.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';

describe('decoder fuzz', () => {
  it('10,000 random, random-frame, truncated and bit-flipped streams: decode or CorruptDataError, nothing else', () => {
    const model = buildSyntheticModel();
    const valid = encodeSpeech(model, syntheticSpeechLike(0.1, 5), 8000);
    const report = fuzzDecoder(model, valid, 10_000, 42);
    expect(report.failures.slice(0, 3)).toEqual([]);
    expect(report.cases).toBe(10_000);
    // Both outcomes must actually occur, or the harness is not exercising the decoder.
    expect(report.decoded).toBeGreaterThan(2000);
    expect(report.rejected).toBeGreaterThan(2000);
  });

  it('flags a decoder that returns garbage lengths (the harness can fail)', () => {
    const model = buildSyntheticModel();
    const valid = encodeSpeech(model, syntheticSpeechLike(0.05, 6), 8000);
    const liar = { ...model, id: 'ffffffffffffffff' };
    // A model-id mismatch is a UserError, not a CorruptDataError: every decodable case fails.
    const report = fuzzDecoder(liar, valid, 40, 1);
    expect(report.failures.length).toBeGreaterThan(0);
  });
});
