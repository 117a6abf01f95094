/**
 * Validation curves of training runs (issue 6, like the paper's Fig. 2): validation spectrum
 * bits per frame (and envelope LSD) against training step, one line per run, from the runs'
 * `train-log.jsonl`. Writes JSON (the data) and an SVG (Vega-Lite, rendered headlessly).
 *
 * Usage: node dist/src/train/curves.js OUT_PREFIX LABEL=RUN_DIR [LABEL=RUN_DIR …]
 *   → OUT_PREFIX.json, OUT_PREFIX.svg (bits/frame per mode) and OUT_PREFIX-lsd.svg
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface CurvePoint {
  run: string;
  step: number;
  bitrate: number;
  stages: number;
  bitsPerFrame: number;
  lsdDb: number;
}

interface LogEvent {
  event?: string;
  step?: number;
  modes?: Array<{ bitrate: number; stages: number; bitsPerFrame: number; lsdDb: number }>;
}

/** Validation points of one run (last value wins when a resumed run logged a step twice). */
export function readCurve(label: string, runDir: string): CurvePoint[] {
  const text = readFileSync(path.join(runDir, 'train-log.jsonl'), 'utf8');
  const byKey = new Map<string, CurvePoint>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as LogEvent;
    if (e.event !== 'validation' || e.step === undefined || !e.modes) continue;
    for (const m of e.modes) {
      byKey.set(`${e.step}/${m.stages}`, { run: label, step: e.step, bitrate: m.bitrate, stages: m.stages, bitsPerFrame: m.bitsPerFrame, lsdDb: m.lsdDb });
    }
  }
  return [...byKey.values()].sort((a, b) => a.stages - b.stages || a.step - b.step);
}

function curveSpec(points: CurvePoint[], field: 'bitsPerFrame' | 'lsdDb', title: string): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: points.map((p) => ({ ...p, mode: `${p.stages} stages` })) },
    facet: { column: { field: 'mode', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step (batch of 1024 frames)' },
        y: { field, type: 'quantitative', title: field === 'bitsPerFrame' ? 'validation spectrum bits/frame' : 'validation envelope LSD (dB)', scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'estimator' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as vl.TopLevelSpec;
}

export async function renderCurveSvg(points: CurvePoint[], field: 'bitsPerFrame' | 'lsdDb', title: string): Promise<string> {
  const compiled = vl.compile(curveSpec(points, field, title)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function main(argv: string[]): Promise<void> {
  const [prefix, ...runs] = argv;
  if (!prefix || runs.length === 0) throw new Error('usage: curves.js OUT_PREFIX LABEL=RUN_DIR [LABEL=RUN_DIR …]');
  const points: CurvePoint[] = [];
  const dedup = new Map<string, CurvePoint>();
  for (const r of runs) {
    const [label, dir] = r.split('=');
    for (const p of readCurve(label, dir)) dedup.set(`${p.run}/${p.stages}/${p.step}`, p);
  }
  points.push(...dedup.values());
  await writeFileAtomic(`${prefix}.json`, JSON.stringify({ what: 'validation spectrum bits/frame and envelope LSD vs training step', runs: runs.map((r) => r.split('=')[0]), points }, null, 1) + '\n');
  await writeFileAtomic(`${prefix}.svg`, await renderCurveSvg(points, 'bitsPerFrame', 'Validation spectrum bits per frame (lower is better)'));
  await writeFileAtomic(`${prefix}-lsd.svg`, await renderCurveSvg(points, 'lsdDb', 'Validation envelope log-spectral distortion'));
  process.stdout.write(`wrote ${prefix}.json, ${prefix}.svg, ${prefix}-lsd.svg (${points.length} points)\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
