import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * Load a built module in a fresh Node process and list the CommonJS modules it pulled in
 * (TensorFlow.js is CommonJS, so it shows up in require.cache when anything loads it).
 */
function loadedCjsModules(distModule: string): string[] {
  const url = pathToFileURL(path.join(REPO_ROOT, 'dist', distModule)).href;
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(url)});
    const require = createRequire(import.meta.url);
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: REPO_ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

const usesTf = (mods: string[]): boolean => mods.some((m) => m.includes(`${path.sep}@tensorflow${path.sep}`));

describe('library entry points (DESIGN §5: the codec never loads TensorFlow.js)', () => {
  it('the package entry and the CLI load no TensorFlow.js; the vq entry does (control)', () => {
    expect(usesTf(loadedCjsModules('src/index.js'))).toBe(false);
    expect(usesTf(loadedCjsModules('src/cli/main.js'))).toBe(false);
    expect(usesTf(loadedCjsModules('src/vq/index.js'))).toBe(true);
  });

  it('round-trips speech through the public API with the shipped model', async () => {
    const lib = await import('../src/index.js');
    const model = lib.loadModel();
    const n = 16000;
    const x = new Float32Array(n);
    // A voiced, speech-like test signal: harmonics of a gliding 120–180 Hz pitch with a slow envelope.
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const f0 = 120 + 60 * (i / n);
      phase += (2 * Math.PI * f0) / 16000;
      let v = 0;
      for (let h = 1; h <= 20; h++) v += Math.sin(h * phase) / h;
      x[i] = 0.2 * v * (0.5 + 0.5 * Math.sin((2 * Math.PI * 3 * i) / n));
    }
    for (const bitrate of lib.BITRATES) {
      const bytes = lib.encodeSpeech(model, x, bitrate);
      const { header } = lib.readHeader(bytes);
      expect(header.bitrate).toBe(bitrate);
      expect(bytes.length).toBe(lib.HEADER_BYTES + header.frameCount * lib.frameBytes(bitrate));
      const { samples } = lib.decodeSpeech(model, bytes);
      expect(samples.length).toBe(n);
      const score = lib.scorePair(x, samples, 16000);
      expect(score.lag).toBe(0);
      expect(score.psnr).toBeGreaterThan(3);
    }
  });
});
