/**
 * Report charts: per metric, the mean against bitrate with a shaded 2.5 %–97.5 % quantile band,
 * one colour per system, like the paper's Figure 1. Built as a Vega-Lite spec and rendered to
 * SVG headlessly by Vega (renderer 'none': no canvas or DOM needed).
 */
// Type-only at load time: vega and vega-lite are loaded when a chart is rendered, so that
// every other CLI command (encode, decode, ...) starts without parsing them (~1.5 s).
import type * as vl from 'vega-lite';
import { EvalReport, MetricName, METRIC_LABELS } from './report.js';

interface ChartDatum {
  system: string;
  kbps: number;
  mean: number;
  q025: number;
  q975: number;
  n: number;
}

/** The chart's data: one point per system × bitrate that has a summary for `metric`. */
export function chartData(report: EvalReport, metric: MetricName): ChartDatum[] {
  return report.summaries
    .filter((s) => s.metric === metric)
    .map((s) => ({ system: s.model, kbps: s.bitrate / 1000, mean: s.mean, q025: s.q025, q975: s.q975, n: s.n }));
}

/** Vega-Lite spec for one metric's chart. */
export function metricChartSpec(report: EvalReport, metric: MetricName): vl.TopLevelSpec {
  const label = METRIC_LABELS[metric];
  // Systems with no scored row (e.g. an external codec that always failed) stay out of the legend.
  const scored = new Set(report.summaries.map((s) => s.model));
  const systems = report.systems.map((s) => s.name).filter((n) => scored.has(n));
  const kbps = report.bitrates.map((b) => b / 1000);
  const color = { field: 'system', type: 'nominal' as const, title: 'system', scale: { domain: systems } };
  const x = {
    field: 'kbps', type: 'quantitative' as const, title: 'bitrate (kbit/s)',
    scale: { domain: [Math.min(...kbps), Math.max(...kbps)], nice: false },
    axis: { values: kbps, grid: true, format: '.4~g' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${label} against bitrate`, subtitle: 'mean (line) and 2.5–97.5 % quantiles over files (band)' },
    width: 480,
    // Legend swatches solid, not as faint as the band they share a scale with.
    config: { legend: { symbolOpacity: 1 } },
    height: 300,
    data: { values: chartData(report, metric) },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: {
          x,
          y: { field: 'q025', type: 'quantitative', title: label, scale: { zero: false } },
          y2: { field: 'q975' },
          color,
        },
      },
      {
        mark: { type: 'line', point: true, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: label },
          color,
        },
      },
    ],
  };
}

/** Render any Vega-Lite spec to an SVG document (vega and vega-lite loaded on first use). */
export async function renderSpecSvg(spec: vl.TopLevelSpec): Promise<string> {
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render one metric's chart to an SVG document. */
export async function renderMetricChart(report: EvalReport, metric: MetricName): Promise<string> {
  return renderSpecSvg(metricChartSpec(report, metric));
}
