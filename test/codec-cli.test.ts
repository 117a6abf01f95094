import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { serializeModel } from '../src/model/codec-model.js';
import { writeWav16 } from '../src/audio/wav-write.js';
import { resample } from '../src/audio/resample.js';
import { FORMAT_VERSION } from '../src/coding/container.js';

/** The CLI end to end on a synthetic model written to a temporary model folder. */
describe('encode / decode / info CLI', () => {
  let dir = '';
  let modelDir = '';
  let modelId = '';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nsvq-cli-'));
    modelDir = path.join(dir, 'model');
    mkdirSync(modelDir);
    const m = buildSyntheticModel();
    const { id: _id, ...rest } = m;
    const bytes = serializeModel(rest);
    writeFileSync(path.join(modelDir, 'model.nsvqm'), bytes);
    modelId = m.id;
    const x = syntheticSpeechLike(1.5, 21);
    await writeWav16(path.join(dir, 'in16.wav'), x, 16000);
    await writeWav16(path.join(dir, 'in44.wav'), await resample(x, 16000, 44100), 44100);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('encodes, reports and decodes; sizes and lengths are exact', () => {
    const bin = path.join(dir, 'a.bin');
    let r = runCli(['encode', path.join(dir, 'in44.wav'), bin, '--bitrate', '9.6k', '--model', modelDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    r = runCli(['info', bin, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as Record<string, number | string>;
    expect(info).toMatchObject({ version: FORMAT_VERSION, bitrate: 9600, originalRate: 44100, modelId });
    expect(statSync(bin).size).toBe(32 + (info.frameCount as number) * 24);
    expect(runCli(['info', bin]).stdout).toMatch(/model id: +[0-9a-f]{16}/);
    const wav16 = path.join(dir, 'a16.wav');
    const wavOrig = path.join(dir, 'a44.wav');
    expect(runCli(['decode', bin, wav16, '--model', modelDir]).code).toBe(0);
    expect(runCli(['decode', bin, wavOrig, '--rate', 'original', '--model', modelDir]).code).toBe(0);
    const in44 = readFileSync(path.join(dir, 'in44.wav'));
    const out44 = readFileSync(wavOrig);
    expect(out44.readUInt32LE(24)).toBe(44100);
    expect(out44.length).toBe(in44.length); // same sample count, same header size
    const out16 = readFileSync(wav16);
    expect(out16.readUInt32LE(24)).toBe(16000);
    expect((out16.length - 44) / 2).toBe(info.codedSamples);
  });

  it('gives one-line errors with exit 1: bad bitrate, other model, corrupt stream, bad rate', () => {
    const bin = path.join(dir, 'b.bin');
    let r = runCli(['encode', path.join(dir, 'in16.wav'), bin, '--bitrate', '12000', '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/8000, 9600, 13200, 16400, 24400, 32000/);
    expect(existsSync(bin)).toBe(false);
    expect(runCli(['encode', path.join(dir, 'in16.wav'), bin, '-b', '8k', '--model', modelDir]).code).toBe(0);
    // Another model: same content with a different card → different id.
    const otherDir = path.join(dir, 'other');
    mkdirSync(otherDir);
    const { id: _id, ...rest } = buildSyntheticModel();
    writeFileSync(path.join(otherDir, 'model.nsvqm'), serializeModel({ ...rest, card: { kind: 'other' } }));
    r = runCli(['decode', bin, path.join(dir, 'x.wav'), '--model', otherDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(modelId);
    expect(existsSync(path.join(dir, 'x.wav'))).toBe(false);
    const bytes = readFileSync(bin);
    writeFileSync(path.join(dir, 'cut.bin'), bytes.subarray(0, bytes.length - 3));
    r = runCli(['decode', path.join(dir, 'cut.bin'), path.join(dir, 'y.wav'), '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
    r = runCli(['info', path.join(dir, 'in16.wav')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not an nsvq-codec stream/);
    r = runCli(['decode', bin, path.join(dir, 'z.wav'), '--rate', '44100', '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--rate/);
  });
});
