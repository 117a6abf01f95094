/**
 * The demo page in a real Chromium (issue 16): build dist/web/, serve it on 127.0.0.1, load
 * data/sample.wav, encode at two rates, and require the page's .bin, decoded samples, decoded
 * WAV and scores to equal what the Node CLI produces for the same input; then decode a CLI-made
 * .bin in the page. Saves a screenshot and the timings under bench/results/ (in CI, or with
 * NSVQ_SAVE_RESULTS=1).
 *
 * Needs a Chromium binary: Debian's `chromium` package (/usr/bin/chromium; `.ci/run` installs
 * it), or any Chromium/Chrome named by NSVQ_CHROMIUM. Without one the test is skipped, unless
 * NSVQ_REQUIRE_BROWSER=1 (set by CI), where a missing browser is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, runCli } from './helpers/cli.js';
import { decodeSpeech } from '../src/codec/codec.js';
import { loadModel } from '../src/model/codec-model.js';
// @ts-expect-error: a plain ES module without type declarations (web/static-server.mjs documents its types).
import { startStaticServer } from '../web/static-server.mjs';

function findChromium(): string | undefined {
  const candidates = [process.env.NSVQ_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
}

const CHROMIUM = findChromium();
const REQUIRED = process.env.NSVQ_REQUIRE_BROWSER === '1';
const SAMPLE = path.join(REPO_ROOT, 'data', 'sample.wav');
// The screenshot and timings go to bench/results/ in CI (a fresh clone) or when
// NSVQ_SAVE_RESULTS=1 asks for them; a developer's run writes them to a temporary folder, so
// the committed files change only on purpose.
const SAVE_RESULTS = process.env.CI === 'true' || process.env.NSVQ_SAVE_RESULTS === '1';
const RESULTS = SAVE_RESULTS ? path.join(REPO_ROOT, 'bench', 'results') : path.join(os.tmpdir(), 'nsvq-web-e2e');
const RATES = [8000, 24400] as const;
// Flags known to work in containers without a GPU or a user namespace sandbox.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

if (!CHROMIUM && !REQUIRED) {
  console.warn('web-e2e: skipped, no Chromium found (install Debian\'s `chromium`, or set NSVQ_CHROMIUM to a Chromium/Chrome binary)');
}

describe.skipIf(!CHROMIUM && !REQUIRED)(`demo page in Chromium (${CHROMIUM ?? 'no chromium found'})`, () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  let page: Page;
  let tmp: string;
  const timings: Record<string, unknown> = {};

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('NSVQ_REQUIRE_BROWSER=1 but no Chromium found at /usr/bin/chromium or NSVQ_CHROMIUM');
    const built = spawnSync(process.execPath, [path.join(REPO_ROOT, 'web', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'nsvq-web-'));
    server = await startStaticServer(path.join(REPO_ROOT, 'dist', 'web'));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = performance.now();
    await page.goto(server.url);
    await page.waitForFunction(() => window.nsvqDemo?.state === 'ready', undefined, { timeout: 30_000 });
    timings.pageLoadMs = Math.round(performance.now() - t0);
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** The bytes behind one of the page's download links. */
  async function download(selector: string): Promise<Uint8Array> {
    const b64 = await page.$eval(selector, async (a) => {
      const buf = new Uint8Array(await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer());
      let s = '';
      for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
      return btoa(s);
    });
    return new Uint8Array(Buffer.from(b64, 'base64'));
  }

  async function waitDone(bitrate: number): Promise<void> {
    await page.waitForFunction((r) => window.nsvqDemo.state === 'error' || (window.nsvqDemo.state === 'done' && window.nsvqDemo.result?.bitrate === r), bitrate, { timeout: 90_000 });
    expect(await page.evaluate(() => window.nsvqDemo.error ?? null)).toBeNull();
  }

  it('runs the WebAssembly kernels and loads within the time budget', async () => {
    expect(await page.evaluate(() => window.nsvqDemo.wasm)).toEqual({ msvqSearch: true, resampler: true });
    expect(await page.evaluate(() => window.nsvqDemo.modelId)).toBe(loadModel().id);
    expect(timings.pageLoadMs as number).toBeLessThan(5000);
  });

  it('encodes in the page exactly as the CLI does, at two rates, with the same decoded samples and scores', async () => {
    const model = loadModel();
    for (const [i, rate] of RATES.entries()) {
      await page.selectOption('#bitrate', String(rate));
      if (i === 0) await page.setInputFiles('#file', SAMPLE); // later rates re-run on the bitrate change
      const t0 = performance.now();
      await waitDone(rate);
      timings[`encodeDecodeScore${rate}Ms`] = Math.round(performance.now() - t0);
      timings[`worker${rate}`] = await page.evaluate(() => {
        const r = window.nsvqDemo.result;
        return r && { encodeMs: Math.round(r.encodeMs ?? 0), decodeMs: Math.round(r.decodeMs), scoreMs: Math.round(r.scoreMs ?? 0) };
      });

      const binFile = path.join(tmp, `cli-${rate}.bin`);
      const wavFile = path.join(tmp, `cli-${rate}.wav`);
      expect(runCli(['encode', SAMPLE, binFile, '--bitrate', String(rate)]).code).toBe(0);
      expect(runCli(['decode', binFile, wavFile]).code).toBe(0);
      const metrics = runCli(['metrics', SAMPLE, wavFile, '--json']);
      expect(metrics.code, metrics.stderr).toBe(0);
      const cli = JSON.parse(metrics.stdout) as Record<string, number>;

      // The stream: byte for byte.
      const pageBin = await download('#dl-bin');
      const cliBin = new Uint8Array(readFileSync(binFile));
      expect(pageBin.length).toBe(cliBin.length);
      expect(Buffer.compare(Buffer.from(pageBin), Buffer.from(cliBin))).toBe(0);
      // The decoded samples: the page's floats equal Node's decode of the page's stream, and its WAV the CLI's.
      const pageDecoded = Float32Array.from(await page.evaluate(() => Array.from(window.nsvqDemo.result?.decoded ?? [])));
      const nodeDecoded = decodeSpeech(model, pageBin).samples;
      expect(pageDecoded.length).toBe(nodeDecoded.length);
      expect(Buffer.compare(Buffer.from(pageDecoded.buffer), Buffer.from(nodeDecoded.buffer))).toBe(0);
      expect(Buffer.compare(Buffer.from(await download('#dl-wav')), readFileSync(wavFile))).toBe(0);
      // The scores on the page: the text is exactly what `nsvq-codec metrics` prints. The metrics
      // (unlike the codec) use Math.log10, Math.cos and friends, whose last bit ECMAScript leaves to
      // the engine, so the full-precision values may differ in the last bits between this Node and
      // this Chromium; they must agree to 1e-12 relative, and the differences are recorded.
      const diffs: Record<string, number> = {};
      for (const [id, key, digits] of [['m-pesq', 'pesq', 3], ['m-stoi', 'stoi', 6], ['m-estoi', 'estoi', 6], ['m-psnr', 'psnr', 4], ['m-lag', 'lag', 0]] as const) {
        const shown = await page.$eval(`#${id}`, (el) => ({ value: (el as HTMLElement).dataset.value, text: el.textContent }));
        const value = Number(shown.value);
        expect(shown.text?.replace(/ dB$/, ''), `${key} as shown at ${rate}`).toBe(cli[key].toFixed(digits));
        expect(Math.abs(value - cli[key]), `${key} at ${rate}: page ${value}, CLI ${cli[key]}`).toBeLessThanOrEqual(1e-12 * Math.abs(cli[key]));
        diffs[key] = value - cli[key];
      }
      timings[`scoreDifferences${rate}`] = diffs;
      timings[`pesq${rate}`] = cli.pesq;
      if (i === RATES.length - 1) {
        mkdirSync(RESULTS, { recursive: true });
        await page.screenshot({ path: path.join(RESULTS, 'web-demo.png'), fullPage: true });
      }
    }
  });

  it('decodes a .bin made by the CLI to the CLI\'s WAV', async () => {
    const binFile = path.join(tmp, 'cli-13200.bin');
    const wavFile = path.join(tmp, 'cli-13200.wav');
    expect(runCli(['encode', SAMPLE, binFile, '--bitrate', '13.2k']).code).toBe(0);
    expect(runCli(['decode', binFile, wavFile]).code).toBe(0);
    await page.setInputFiles('#file', binFile);
    await waitDone(13200);
    expect(Buffer.compare(Buffer.from(await download('#dl-wav')), readFileSync(wavFile))).toBe(0);
  });

  it('encodes a stereo 44.1 kHz FLAC (downmix and resampling) to the CLI\'s bytes, and says why it has no scores', async () => {
    const flac = path.join(REPO_ROOT, 'test', 'fixtures', 'flac', 'voice-2ch-16bit-44100-ams.flac');
    const binFile = path.join(tmp, 'flac-9600.bin');
    expect(runCli(['encode', flac, binFile, '--bitrate', '9.6k']).code).toBe(0);
    await page.selectOption('#bitrate', '9600');
    await page.setInputFiles('#file', flac);
    await waitDone(9600);
    expect(Buffer.compare(Buffer.from(await download('#dl-bin')), readFileSync(binFile))).toBe(0);
    // 0.1 s is too short for STOI: the page keeps the stream and shows the reason.
    expect(await page.textContent('#score-note')).toMatch(/no scores: STOI needs/);
  });

  it('records the timings and bundle sizes', () => {
    const size = (f: string): number => statSync(path.join(REPO_ROOT, 'dist', 'web', f)).size;
    const report = {
      chromium: spawnSync(CHROMIUM as string, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      bundle: { 'main.js': size('main.js'), 'worker.js': size('worker.js'), 'model.nsvqm': size('model.nsvqm'), 'index.html': size('index.html'), 'style.css': size('style.css') },
      ...timings,
    };
    writeFileSync(path.join(RESULTS, 'web-e2e.json'), JSON.stringify(report, null, 2) + '\n');
  });
});
