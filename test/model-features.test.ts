import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  activeFrames, datasetFeatures, envelopeVectors, fileFeatures, speakerOf,
} from '../src/train/features.js';
import { scanAudioFolders } from '../src/audio/scan.js';
import { UserError } from '../src/errors.js';
import type { SpeechSignal } from '../src/audio/load.js';
import { defaultAnalysisMatrix, defaultSynthesisMatrix } from '../src/model/default-envelope.js';
import type { CodecModel } from '../src/model/codec-model.js';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';
import { testTempDir } from './helpers/temp.js';

/** A fake loader: the "file" bytes seed a tone burst with silence around it; counts calls. */
function fakeLoader(): { load: (f: string) => Promise<SpeechSignal>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    load: async (file: string) => {
      calls++;
      const text = readFileSync(file, 'utf8');
      if (text.startsWith('broken')) throw new Error('not audio');
      const freq = Number(text) || 440;
      const x = new Float32Array(16000);
      for (let i = 4000; i < 12000; i++) x[i] = 0.3 * Math.sin((2 * Math.PI * freq * i) / 16000);
      return { samples: x, sampleRate: 16000, originalRate: 16000, originalChannels: 1 };
    },
  };
}

describe('training features', () => {
  it('scans recursively in a stable order, skipping hidden and non-audio files', async () => {
    const dir = testTempDir('nsvq-scan-');
    mkdirSync(path.join(dir, '19', '198'), { recursive: true });
    mkdirSync(path.join(dir, '.hidden'));
    for (const f of ['19/198/19-198-0001.flac', '19/198/19-198-0000.FLAC', 'b.wav', 'a.txt', '.hidden/x.wav', '19/notes.md']) {
      writeFileSync(path.join(dir, f), '1');
    }
    const files = (await scanAudioFolders([dir, dir])).map((f) => path.relative(dir, f));
    expect(files).toEqual(['19/198/19-198-0000.FLAC', '19/198/19-198-0001.flac', 'b.wav']);
    expect(speakerOf(path.join(dir, '19/198/19-198-0001.flac'))).toBe('libri-19');
    expect(speakerOf('/data/LJSpeech/LJ050-0231.flac')).toBe('dir-LJSpeech');
    await expect(scanAudioFolders([path.join(dir, 'missing')])).rejects.toThrow(UserError);
    await expect(scanAudioFolders([path.join(dir, 'missing')])).rejects.toThrow(/not found/);
  });

  it('caches frames by content: a hit returns identical features without decoding', async () => {
    const dir = testTempDir('nsvq-feat-');
    const cacheDir = path.join(dir, 'cache');
    const a = path.join(dir, 'a.wav');
    writeFileSync(a, '440');
    const loader = fakeLoader();
    const first = await fileFeatures(a, { cacheDir, load: loader.load });
    expect(first.cached).toBe(false);
    expect(first.features.frames).toBe(Math.ceil(16000 / 320) + 1);
    expect(first.features.bins).toBe(320);
    const second = await fileFeatures(a, { cacheDir, load: loader.load });
    expect(second.cached).toBe(true);
    expect(loader.calls()).toBe(1);
    expect(Buffer.from(second.features.mdct.buffer).equals(Buffer.from(first.features.mdct.buffer))).toBe(true);
    expect(second.features.length).toBe(16000);
    // Same content under another name hits the same entry; changed content misses.
    const b = path.join(dir, 'b.wav');
    writeFileSync(b, '440');
    expect((await fileFeatures(b, { cacheDir, load: loader.load })).cached).toBe(true);
    writeFileSync(b, '1000');
    expect((await fileFeatures(b, { cacheDir, load: loader.load })).cached).toBe(false);
    // A damaged cache entry is ignored and rebuilt.
    const entries = readdirSync(path.join(cacheDir, 'features'));
    expect(entries.length).toBe(2);
    const entry = path.join(cacheDir, 'features', entries[0]);
    const bytes = readFileSync(entry);
    bytes[100] ^= 0xff;
    writeFileSync(entry, bytes);
    const calls = loader.calls();
    await fileFeatures(a, { cacheDir, load: loader.load });
    await fileFeatures(b, { cacheDir, load: loader.load });
    expect(loader.calls()).toBe(calls + 1);
  });

  it('keeps only active frames, computes envelopes, and skips unreadable files', async () => {
    const dir = testTempDir('nsvq-ds-');
    writeFileSync(path.join(dir, 'a.wav'), '300');
    writeFileSync(path.join(dir, 'b.wav'), 'broken');
    writeFileSync(path.join(dir, 'c.wav'), '3250');
    const loader = fakeLoader();
    const ds = await datasetFeatures(await scanAudioFolders([dir]), { cacheDir: null, load: loader.load });
    expect(ds.features.map((f) => path.basename(f.file))).toEqual(['a.wav', 'c.wav']);
    expect(ds.failed.map((f) => path.basename(f.file))).toEqual(['b.wav']);
    const f = ds.features[1];
    const mask = activeFrames(f);
    // Tone from 0.25 s to 0.75 s: frames overlapping it are active, the rest silent.
    let active = 0;
    for (const v of mask) active += v;
    expect(active).toBeGreaterThanOrEqual(25);
    expect(active).toBeLessThanOrEqual(28);
    expect(mask[0]).toBe(0);
    expect(mask[25]).toBe(1);
    const model = { id: 'x', bins: 320, bands: 16, analysis: defaultAnalysisMatrix(), synthesis: defaultSynthesisMatrix(), stageBits: 12, codebooks: [], stagesPerMode: {} } as CodecModel;
    const env = envelopeVectors(model, f, mask);
    expect(env.length).toBe(active * 16);
    // A 3.25 kHz tone: band 6 (3000–3500 Hz) dominates every active frame's envelope.
    for (let r = 0; r < active; r++) {
      const row = Array.from(env.subarray(r * 16, r * 16 + 16));
      expect(row.indexOf(Math.max(...row))).toBe(6);
    }
  });
});

describe.skipIf(!HAVE_SHARED)('training features on real speech', () => {
  noteSkip('training features on real speech');
  it('decodes a LibriSpeech file into frames with a plausible active fraction', async () => {
    const files = await scanAudioFolders([path.join(SPEECH_DIR, 'LibriSpeech', 'dev-clean')]);
    expect(files.length).toBeGreaterThan(0);
    const { features } = await fileFeatures(files[0], { cacheDir: null });
    expect(features.frames).toBe(Math.ceil(features.length / 320) + 1);
    const mask = activeFrames(features);
    let active = 0;
    for (const v of mask) active += v;
    expect(active / features.frames).toBeGreaterThan(0.5);
    expect(active / features.frames).toBeLessThanOrEqual(1);
  });
});
