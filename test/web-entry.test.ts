import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from './helpers/cli.js';
import { sha256Hex } from '../src/util/sha256.js';
import { loadModel as loadModelNode, parseModel as parseModelNode } from '../src/model/codec-model.js';
import * as web from '../src/web/index.js';
import { encodeSpeech } from '../src/codec/codec.js';
import { parseWav } from '../src/audio/wav.js';

const MODEL_FILE = path.join(REPO_ROOT, 'codec', 'model.nsvqm');
const SAMPLE = path.join(REPO_ROOT, 'data', 'sample.wav');

describe('browser entry (nsvq-codec/web, issue 16)', () => {
  it('bundles for the browser with no Node built-in reachable', async () => {
    // esbuild refuses to resolve node:* (and bare fs, path, ...) on platform 'browser'.
    const r = await build({
      entryPoints: [path.join(REPO_ROOT, 'src/web/index.ts')], bundle: true, format: 'esm', platform: 'browser',
      write: false, metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((f) => f.endsWith('src/codec/encoder.ts'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('src/eval/pesq.ts'))).toBe(true);
    expect(inputs.filter((f) => /^node:|codec-model\.ts$|atomic-file|probe-file|flac-file/.test(f))).toEqual([]);
  });

  it('portable sha256 equals node:crypto at every tail length', () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
      expect(sha256Hex(b)).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });

  it('loads the shipped model from bytes and from a URL, with the Node loader\'s id and contents', async () => {
    const bytes = new Uint8Array(readFileSync(MODEL_FILE));
    const node = loadModelNode();
    const fromBytes = await web.loadModel(bytes);
    expect(fromBytes.id).toBe(node.id);
    expect(fromBytes).toEqual(parseModelNode(bytes));
    const fromUrl = await web.loadModel(`data:application/octet-stream;base64,${Buffer.from(bytes).toString('base64')}`);
    expect(fromUrl.id).toBe(node.id);
    await expect(web.loadModel(bytes.subarray(0, 100))).rejects.toThrow(/invalid model file/);
  });

  it('decodes WAV bytes like the file reader and encodes the same stream', async () => {
    const file = new Uint8Array(readFileSync(SAMPLE));
    const decoded = await web.decodeAudioBytes(file, 'sample.wav');
    const ref = parseWav(file, 'sample.wav');
    expect(decoded.sampleRate).toBe(ref.sampleRate);
    expect(decoded.channels[0]).toEqual(ref.channels[0]);
    const model = await web.loadModel(readFileSync(MODEL_FILE));
    const x = decoded.channels[0].subarray(0, 16000);
    expect(web.encodeSpeech(model, x, 9600)).toEqual(encodeSpeech(loadModelNode(), x, 9600));
    await expect(web.decodeAudioBytes(new Uint8Array(64), 'zeros.bin')).rejects.toThrow(/not a supported audio file/);
  });
});
