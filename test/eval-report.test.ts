import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mean, quantile, quantileSorted, summarize } from '../src/eval/quantiles.js';
import { buildReport, type EvalRow, type EvalSystem, METRICS } from '../src/eval/report.js';
import { csvField, reportToCsv, reportToMarkdown } from '../src/eval/report-format.js';
import { chartData, renderMetricChart } from '../src/eval/charts.js';
import { writeReportFolder, REPORT_FILES } from '../src/eval/report-write.js';
import { parseXml, svgTexts } from './helpers/eval-xml.js';

/** A type-7 quantile written the textbook way, as an independent check. */
function naiveType7(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  const h = (v.length - 1) * p;
  const j = Math.floor(h);
  const g = h - j;
  return j + 1 < v.length ? (1 - g) * v[j] + g * v[j + 1] : v[j];
}

describe('quantiles (type 7)', () => {
  it('matches known values (R: quantile(1:10, c(.025,.5,.975)) = 1.225, 5.5, 9.775)', () => {
    const x = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5];
    expect(quantile(x, 0.025)).toBeCloseTo(1.225, 12);
    expect(quantile(x, 0.5)).toBeCloseTo(5.5, 12);
    expect(quantile(x, 0.975)).toBeCloseTo(9.775, 12);
    expect(quantile(x, 0)).toBe(1);
    expect(quantile(x, 1)).toBe(10);
    expect(x[0]).toBe(10); // input untouched
  });

  it('agrees with an independent implementation on random data', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const n of [1, 2, 3, 7, 50, 101]) {
      const x = Array.from({ length: n }, () => rnd() * 20 - 5);
      for (const p of [0, 0.025, 0.1, 0.5, 0.9, 0.975, 1]) {
        expect(quantile(x, p)).toBeCloseTo(naiveType7(x, p), 12);
      }
    }
  });

  it('summarize gives n, mean, median, quantiles, min, max; rejects non-finite and bad p', () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s).toEqual({ n: 4, mean: 2.5, median: 2.5, q025: 1 + 0.075, q975: 4 - 0.075, min: 1, max: 4 });
    expect(summarize([7]).q025).toBe(7);
    expect(Number.isNaN(summarize([]).mean)).toBe(true);
    expect(() => summarize([1, NaN])).toThrow(/non-finite/);
    expect(() => quantileSorted([1, 2], 1.5)).toThrow(RangeError);
    expect(mean([1, 2, 3, 4])).toBe(2.5);
  });
});

const systems: EvalSystem[] = [
  { name: 'default', kind: 'model', id: '0123456789abcdef' },
  { name: 'cp, "quoted"', kind: 'external', id: '', source: 'cp {in} {out}' },
];

function row(file: string, model: string, bitrate: number, v: number): EvalRow {
  return { file, model, modelId: model === 'default' ? '0123456789abcdef' : '', bitrate, lag: 0, pesq: 4 * v, psnr: 10 * v, stoi: v, estoi: v - 0.1, seconds: 1.5, elapsed: 0.01 };
}

function sampleReport() {
  const files = ['a.wav', 'b/c.flac', 'd.wav'];
  const rows: EvalRow[] = [];
  // Deliberately shuffled: the report must order them.
  rows.push(row('d.wav', 'default', 13200, 0.93), row('a.wav', 'cp, "quoted"', 8000, 1));
  rows.push(row('a.wav', 'default', 13200, 0.95), row('b/c.flac', 'default', 8000, 0.88));
  rows.push(row('a.wav', 'default', 8000, 0.9), row('d.wav', 'default', 8000, 0.86));
  rows.push(row('b/c.flac', 'default', 13200, 0.97));
  return buildReport({
    version: '0.0.0', dataDir: '/data', sampleRate: 16000, files, systems, bitrates: [13200, 8000], rows,
    errors: [{ file: 'x.wav', message: 'not audio | really' }],
    created: new Date('2026-01-01T00:00:00Z'),
  });
}

describe('report aggregation and formats', () => {
  it('orders rows by file, system, bitrate and summarises each system × rate × metric', () => {
    const r = sampleReport();
    expect(r.bitrates).toEqual([8000, 13200]);
    expect(r.rows.map((x) => `${x.file}|${x.model}|${x.bitrate}`)).toEqual([
      'a.wav|default|8000', 'a.wav|default|13200', 'a.wav|cp, "quoted"|8000',
      'b/c.flac|default|8000', 'b/c.flac|default|13200', 'd.wav|default|8000', 'd.wav|default|13200',
    ]);
    expect(r.filesScored).toBe(3);
    // default: 3 rates×… ; external: only 8000 → 3 summaries per (system, rate) present.
    expect(r.summaries.length).toBe((2 + 1) * METRICS.length);
    const s = r.summaries.find((x) => x.model === 'default' && x.bitrate === 8000 && x.metric === 'stoi');
    const vals = [0.9, 0.88, 0.86];
    expect(s?.n).toBe(3);
    expect(s?.mean).toBe((0.9 + 0.88 + 0.86) / 3);
    expect(s?.median).toBe(0.88);
    expect(s?.q025).toBeCloseTo(naiveType7(vals, 0.025), 14);
    expect(s?.q975).toBeCloseTo(naiveType7(vals, 0.975), 14);
    const e = r.summaries.find((x) => x.model === 'default' && x.bitrate === 13200 && x.metric === 'estoi');
    expect(e?.mean).toBeCloseTo((0.85 + 0.87 + 0.83) / 3, 14);
  });

  it('CSV has a header and one line per row, with RFC 4180 quoting and full precision', () => {
    const r = sampleReport();
    const lines = reportToCsv(r).trimEnd().split('\n');
    expect(lines.length).toBe(1 + r.rows.length);
    expect(lines[0]).toBe('file,model,model_id,bitrate,lag,pesq,psnr,stoi,estoi,seconds,elapsed');
    expect(lines[3]).toContain('"cp, ""quoted"""');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(Number(lines[1].split(',')[5])).toBe(r.rows[0].pesq);
    expect(Number(lines[1].split(',')[7])).toBe(r.rows[0].stoi);
  });

  it('Markdown has one table per metric, systems × rates, mean [q2.5, q97.5], and the errors', () => {
    const r = sampleReport();
    const md = reportToMarkdown(r);
    expect(md).toContain('## WB-PESQ (MOS-LQO)');
    expect(md).toContain('## pSNR (dB)');
    expect(md).toContain('## STOI');
    expect(md).toContain('## ESTOI');
    expect(md).toContain('| system | 8 kbit/s | 13.2 kbit/s |');
    const s = r.summaries.find((x) => x.model === 'default' && x.bitrate === 8000 && x.metric === 'stoi')!;
    expect(md).toContain(`${s.mean.toFixed(4)} [${s.q025.toFixed(4)}, ${s.q975.toFixed(4)}]`);
    // External codec has no 13.2k result: a dash, not a number.
    expect(md).toMatch(/\| cp, "quoted" \| 1\.0000 \[1\.0000, 1\.0000\] \| – \|/);
    expect(md).toContain('## Mean STOI beside the NSVQ paper');
    expect(md).toMatch(/\| NSVQ paper [^|]*\| 0\.907 \| 0\.952 \|/);
    expect(md).toContain(`| default (this run) | ${s.mean.toFixed(3)} |`);
    // The paper's PESQ beside ours, in the same layout.
    const p = r.summaries.find((x) => x.model === 'default' && x.bitrate === 8000 && x.metric === 'pesq')!;
    expect(md).toContain('## Mean WB-PESQ beside the NSVQ paper');
    expect(md).toMatch(/\| NSVQ paper [^|]*\| 2\.47 \| 3\.05 \|/);
    expect(md).toContain(`| default (this run) | ${p.mean.toFixed(3)} |`);
    expect(md).toContain('## Errors');
    expect(md).toContain('not audio \\| really');
  });

  it('renders a Vega-Lite SVG per metric with axis titles and a legend entry per system', async () => {
    const r = sampleReport();
    expect(chartData(r, 'stoi').length).toBe(3);
    const svg = await renderMetricChart(r, 'stoi');
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    const texts = svgTexts(root);
    expect(texts).toContain('bitrate (kbit/s)');
    expect(texts).toContain('STOI');
    expect(texts).toContain('default');
    expect(texts).toContain('cp, "quoted"');
    // The band (area) and the mean line are both drawn.
    expect(svg).toContain('"mark-area role-mark');
    expect(svg).toContain('"mark-line role-mark');
    expect(texts).toContain('13.2'); // x tick labels at the evaluated rates
    expect(texts).toContain('8');
  });

  it('writes every report file atomically into a new folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nsvq-report-'));
    try {
      const out = path.join(dir, 'nested', 'report');
      const written = await writeReportFolder(out, sampleReport());
      expect(written.map((p) => path.basename(p)).sort()).toEqual([...REPORT_FILES].sort());
      expect(readdirSync(out).sort()).toEqual([...REPORT_FILES].sort()); // no temp files left
      const json = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { rows: unknown[]; summaries: unknown[] };
      expect(json.rows.length).toBe(7);
      expect(json.summaries.length).toBe(3 * METRICS.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
