/**
 * `nsvq-codec eval` end to end through the built CLI (issue 7 "Done when"): a few short
 * generated speech-like files, two bitrates, two worker threads, a trivial external codec and a
 * bad file. The report's numbers must equal direct encodeSpeech → decodeSpeech → scorePair calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { parseXml, svgTexts } from './helpers/eval-xml.js';
import { writeWav16 } from '../src/audio/wav-write.js';
import { loadSpeech } from '../src/audio/load.js';
import { encodeSpeech, decodeSpeech } from '../src/codec/codec.js';
import type { Bitrate } from '../src/coding/modes.js';
import { scorePair } from '../src/eval/metrics.js';
import { loadModel, serializeModel } from '../src/model/codec-model.js';
import { defaultAnalysisMatrix, defaultSynthesisMatrix } from '../src/model/default-envelope.js';
import type { EvalReport } from '../src/eval/report.js';
import { expandCommand, parseExternalSpec } from '../src/eval/external-codec.js';
import { parseBitrateList, parseModelArg } from '../src/eval/eval-run.js';

const FS = 16000;

/** Deterministic speech-like test signal: a harmonic series with vibrato, syllable envelope, noise bursts. */
function speechLike(seed: number, f0: number, seconds: number): Float32Array {
  const n = Math.round(seconds * FS);
  const x = new Float32Array(n);
  let s = seed;
  const rnd = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / FS;
    const f = f0 * (1 + 0.04 * Math.sin(2 * Math.PI * 5.5 * t) + 0.1 * t);
    phase += (2 * Math.PI * f) / FS;
    let v = 0;
    for (let h = 1; h * f < 7000; h++) v += Math.sin(h * phase + h * h * 0.3) / (h * (1 + ((h * f) / 1500) ** 2));
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 2.7 * t)) ** 0.7;
    const inBurst = (t % 0.45) > 0.36; // fricative-like noise between syllables
    x[i] = 0.3 * syllable * v + (inBurst ? 0.08 * rnd() : 0.002 * rnd());
  }
  return x;
}

/** A valid model file (default envelope matrices, seeded random codebooks) so the test needs no trained model. */
function writeTestModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  let s = 7;
  const rnd = (): number => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
  const codebooks = [0, 1, 2, 3].map((k) => {
    const c = new Float32Array(4096 * 16);
    for (let i = 0; i < c.length; i++) c[i] = k === 0 ? -9 + 7 * rnd() : (2.5 / (k + 1)) * rnd();
    return c;
  });
  const bytes = serializeModel({
    bins: 320, bands: 16, analysis: defaultAnalysisMatrix(320, 16), synthesis: defaultSynthesisMatrix(320, 16), stageBits: 12,
    codebooks, stagesPerMode: { 8000: 2, 9600: 2, 13200: 3, 16400: 3, 24400: 4, 32000: 4 },
    card: { purpose: 'eval-cli test fixture' },
  });
  writeFileSync(path.join(dir, 'model.nsvqm'), bytes);
}

function naiveType7(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  const h = (v.length - 1) * p;
  const j = Math.floor(h);
  return j + 1 < v.length ? v[j] + (h - j) * (v[j + 1] - v[j]) : v[j];
}

const RATES: Bitrate[] = [8000, 24400];
const GOOD = ['a-low.wav', 'b-mid.wav', 'sub/c-high.wav'];

describe('nsvq-codec eval (end to end)', () => {
  let tmp: string;
  let dataDir: string;
  let modelDir: string;
  let outDir: string;
  let run: ReturnType<typeof runCli>;
  let report: EvalReport;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'nsvq-eval-cli-'));
    dataDir = path.join(tmp, 'data');
    modelDir = path.join(tmp, 'model');
    outDir = path.join(tmp, 'out');
    mkdirSync(path.join(dataDir, 'sub'), { recursive: true });
    await writeWav16(path.join(dataDir, GOOD[0]), speechLike(1, 110, 1.5), FS);
    await writeWav16(path.join(dataDir, GOOD[1]), speechLike(2, 170, 1.3), FS);
    await writeWav16(path.join(dataDir, GOOD[2]), speechLike(3, 240, 1.5), FS);
    writeFileSync(path.join(dataDir, 'zz-bad.wav'), 'RIFF this is not audio');
    writeFileSync(path.join(dataDir, 'notes.txt'), 'not scanned');
    writeTestModel(modelDir);
    run = runCli(['eval', '--data', dataDir, '--out', outDir, '--model', `test=${modelDir}`,
      '--bitrates', '8k,24400', '--jobs', '2', '--external', 'copy=cp {in} {out}'], { timeoutMs: 110_000 });
    report = JSON.parse(readFileSync(path.join(outDir, 'report.json'), 'utf8')) as EvalReport;
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('exits 0, reports the bad file on stderr and in the report, scores the rest', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('zz-bad.wav');
    expect(run.stdout).toContain('scored 3/4 files');
    expect(report.files).toBe(4);
    expect(report.filesScored).toBe(3);
    expect(report.errors.map((e) => e.file)).toEqual(['zz-bad.wav']);
    expect(report.bitrates).toEqual(RATES);
    // Reports name their data relative to where the command ran, never by a machine's absolute path.
    expect(path.isAbsolute(report.dataDir)).toBe(false);
    expect(report.systems.map((s) => [s.name, s.kind])).toEqual([['test', 'model'], ['copy', 'external']]);
    expect(report.systems[0].id).toBe(loadModel(modelDir).id);
    expect(report.rows.length).toBe(GOOD.length * 2 * RATES.length);
    // Deterministic order: files sorted, then systems as given, then bitrate.
    expect(report.rows.map((r) => `${r.file}|${r.model}|${r.bitrate}`)).toEqual(
      GOOD.flatMap((f) => ['test', 'copy'].flatMap((m) => RATES.map((b) => `${f}|${m}|${b}`))));
  });

  it('codec rows equal direct encodeSpeech → decodeSpeech → scorePair (within 1e-9)', async () => {
    const model = loadModel(modelDir);
    for (const file of GOOD) {
      const sig = await loadSpeech(path.join(dataDir, file), FS);
      for (const b of RATES) {
        const dec = decodeSpeech(model, encodeSpeech(model, sig.samples, b, sig.originalRate)).samples;
        const m = scorePair(sig.samples, dec, FS);
        const row = report.rows.find((r) => r.file === file && r.model === 'test' && r.bitrate === b)!;
        expect(row, `${file}@${b}`).toBeDefined();
        expect(row.modelId).toBe(model.id);
        expect(row.lag).toBe(m.lag);
        expect(Math.abs(row.psnr - m.psnr)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(row.stoi - m.stoi)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(row.estoi - m.estoi)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(row.pesq - m.pesq)).toBeLessThanOrEqual(1e-9);
        expect(row.seconds).toBeCloseTo(sig.samples.length / FS, 12);
      }
    }
    // Higher rate, better pSNR on average: the rates really were different.
    const mean = (b: number): number => report.summaries.find((s) => s.model === 'test' && s.bitrate === b && s.metric === 'psnr')!.mean;
    expect(mean(24400)).toBeGreaterThan(mean(8000));
  });

  it('the external copy codec round-trips exactly: lag 0, STOI 1', () => {
    const rows = report.rows.filter((r) => r.model === 'copy');
    expect(rows.length).toBe(GOOD.length * RATES.length);
    for (const r of rows) {
      expect(r.lag).toBe(0);
      expect(r.stoi).toBeCloseTo(1, 6);
      expect(r.estoi).toBeCloseTo(1, 6);
      expect(r.psnr).toBeGreaterThan(60);
      expect(r.pesq).toBeCloseTo(4.644, 3); // P.862.2's ceiling: identical signals
    }
  });

  it('summaries are the mean, median and type-7 quantiles of the rows', () => {
    expect(report.summaries.length).toBe(2 * RATES.length * 4);
    for (const s of report.summaries) {
      const v = report.rows.filter((r) => r.model === s.model && r.bitrate === s.bitrate).map((r) => r[s.metric]);
      expect(s.n).toBe(v.length);
      expect(s.mean).toBeCloseTo(v.reduce((a, x) => a + x, 0) / v.length, 12);
      expect(s.median).toBeCloseTo(naiveType7(v, 0.5), 12);
      expect(s.q025).toBeCloseTo(naiveType7(v, 0.025), 12);
      expect(s.q975).toBeCloseTo(naiveType7(v, 0.975), 12);
    }
  });

  it('writes results.csv, report.md and one parseable SVG per metric with both series', () => {
    expect(readdirSync(outDir).sort()).toEqual(['estoi.svg', 'pesq.svg', 'psnr.svg', 'report.json', 'report.md', 'results.csv', 'stoi.svg']);
    const csv = readFileSync(path.join(outDir, 'results.csv'), 'utf8').trimEnd().split('\n');
    expect(csv.length).toBe(1 + report.rows.length);
    expect(csv[0].split(',')).toEqual(['file', 'model', 'model_id', 'bitrate', 'lag', 'pesq', 'psnr', 'stoi', 'estoi', 'seconds', 'elapsed']);
    expect(Number(csv[1].split(',')[5])).toBe(report.rows[0].pesq);
    expect(Number(csv[1].split(',')[7])).toBe(report.rows[0].stoi);
    const md = readFileSync(path.join(outDir, 'report.md'), 'utf8');
    for (const h of ['## WB-PESQ (MOS-LQO)', '## Mean WB-PESQ beside the NSVQ paper', '## pSNR (dB)', '## STOI', '## ESTOI', '| system | 8 kbit/s | 24.4 kbit/s |', '| test |', '| copy |', 'zz-bad.wav']) {
      expect(md).toContain(h);
    }
    for (const metric of ['pesq', 'psnr', 'stoi', 'estoi']) {
      const root = parseXml(readFileSync(path.join(outDir, `${metric}.svg`), 'utf8'));
      expect(root.name).toBe('svg');
      const texts = svgTexts(root);
      expect(texts).toContain('test');
      expect(texts).toContain('copy');
      expect(texts).toContain('bitrate (kbit/s)');
    }
  });

  it('--limit and --jobs 1 (in-process path) take the first files in sorted order', () => {
    const out2 = path.join(tmp, 'out-limit');
    const r = runCli(['eval', '-d', dataDir, '-o', out2, '-m', modelDir, '-b', '24.4k', '-j', '1', '-n', '2'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(path.join(out2, 'report.json'), 'utf8')) as EvalReport;
    expect(rep.files).toBe(2);
    expect(rep.systems[0].name).toBe('model'); // unlabelled: named after its folder
    const row = rep.rows.find((x) => x.file === GOOD[0])!;
    const same = report.rows.find((x) => x.file === GOOD[0] && x.model === 'test' && x.bitrate === 24400)!;
    expect(rep.rows.map((x) => x.file)).toEqual(GOOD.slice(0, 2));
    expect(row.stoi).toBe(same.stoi); // same numbers from a worker thread and the main thread
  });

  it('exits 1 when no file can be scored, and still writes the report', () => {
    const badDir = path.join(tmp, 'bad-only');
    mkdirSync(badDir);
    writeFileSync(path.join(badDir, 'x.flac'), 'nope');
    const out3 = path.join(tmp, 'out-bad');
    const r = runCli(['eval', '-d', badDir, '-o', out3, '-m', modelDir, '-b', '8000'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no file could be scored');
    const rep = JSON.parse(readFileSync(path.join(out3, 'report.json'), 'utf8')) as EvalReport;
    expect(rep.rows.length).toBe(0);
    expect(rep.errors[0].file).toBe('x.flac');
  });

  it('rejects bad options with one line and exit 1', () => {
    const r1 = runCli(['eval', '-d', dataDir, '-o', path.join(tmp, 'o4'), '-m', modelDir, '-b', '7000']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/invalid bitrate '7000'/);
    expect(r1.stderr).not.toMatch(/\n\s+at /);
    const r2 = runCli(['eval', '-d', path.join(tmp, 'missing'), '-o', path.join(tmp, 'o5'), '-m', modelDir]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('data folder not found');
    const r3 = runCli(['eval', '-d', dataDir, '-o', path.join(tmp, 'o6'), '-m', modelDir, '-x', 'noin=cp a {out}']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('must contain {in}');
    const notDir = path.join(tmp, 'a-file');
    writeFileSync(notDir, 'x');
    const r4 = runCli(['eval', '-d', dataDir, '-o', path.join(notDir, 'out'), '-m', modelDir]);
    expect(r4.code).toBe(1);
    expect(r4.stderr).toMatch(/cannot write the report folder .*ENOTDIR/);
  });
});

describe('eval option parsing', () => {
  it('parses --external specs and substitutes placeholders with shell quoting', () => {
    const spec = parseExternalSpec("opus=opusenc --bitrate {kbps} {in} x.opus && opusdec x.opus {out}");
    expect(spec.name).toBe('opus');
    const cmd = expandCommand(spec.command, { bitrate: 13200, in: "/t/it's.wav", out: '/t/o.wav', tmp: '/t' });
    expect(cmd).toBe("opusenc --bitrate 13.2 '/t/it'\\''s.wav' x.opus && opusdec x.opus '/t/o.wav'");
    expect(expandCommand('c {bitrate} {in} {out} {tmp}', { bitrate: 8000, in: 'a', out: 'b', tmp: 'c' })).toBe("c 8000 'a' 'b' 'c'");
    expect(() => parseExternalSpec('cp {in} {out}')).toThrow(/NAME=/);
    expect(() => parseExternalSpec('x=cp {in} {out} {rate}')).toThrow(/unknown placeholder \{rate\}/);
    expect(() => parseExternalSpec('x=cp {in} y')).toThrow(/must contain \{out\}/);
  });

  it('parses --model NAME=DIR and --bitrates lists', () => {
    expect(parseModelArg('nsvq=models/nsvq')).toEqual({ name: 'nsvq', dir: 'models/nsvq' });
    expect(parseModelArg('models/ste')).toEqual({ name: 'ste', dir: 'models/ste' });
    expect(parseBitrateList('all')).toEqual([8000, 9600, 13200, 16400, 24400, 32000]);
    expect(parseBitrateList(undefined)).toHaveLength(6);
    expect(parseBitrateList('32k, 8000,13.2k,8k')).toEqual([8000, 13200, 32000]);
    expect(() => parseBitrateList('8000,7000')).toThrow(/invalid bitrate/);
  });
});
