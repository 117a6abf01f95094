/**
 * Text renderings of an evaluation report: JSON (everything, full precision), CSV (one line
 * per scored row) and Markdown (one table per metric, systems × bitrates, "mean [2.5 %, 97.5 %]").
 */
import { EvalReport, EvalRow, METRICS, METRIC_DECIMALS, METRIC_LABELS, PAPER_NSVQ, findSummary } from './report.js';

export const CSV_COLUMNS = ['file', 'model', 'model_id', 'bitrate', 'lag', 'pesq', 'psnr', 'stoi', 'estoi', 'seconds', 'elapsed'] as const;

export function reportToJson(report: EvalReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** RFC 4180 quoting: only when the field holds a comma, quote or line break. */
export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? numberToCsv(value) : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest text that parses back to the same double (JS's own number formatting). */
function numberToCsv(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

function rowFields(r: EvalRow): (string | number)[] {
  return [r.file, r.model, r.modelId, r.bitrate, r.lag, r.pesq, r.psnr, r.stoi, r.estoi, r.seconds, r.elapsed];
}

export function reportToCsv(report: EvalReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of report.rows) lines.push(rowFields(r).map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** kbit/s label for a bitrate in bit/s: 13200 → "13.2". */
export function kbpsLabel(bitrate: number): string {
  return String(bitrate / 1000);
}

export function reportToMarkdown(report: EvalReport): string {
  const out: string[] = [];
  out.push('# nsvq-codec evaluation report', '');
  out.push(`- data: \`${report.dataDir}\``);
  out.push(`- files: ${report.files} found, ${report.filesScored} scored; ${report.rows.length} scored round trips; ${report.errors.length} errors`);
  out.push(`- systems: ${report.systems.map((s) => `${s.name} (${s.kind === 'model' ? `model ${s.id}` : 'external codec'})`).join(', ')}`);
  out.push(`- cells: mean [2.5 %, 97.5 %] over files; quantiles are type 7 (linear interpolation)`);
  out.push(`- created ${report.created} by ${report.tool} ${report.version}`, '');
  const rates = report.bitrates;
  for (const metric of METRICS) {
    const d = METRIC_DECIMALS[metric];
    out.push(`## ${METRIC_LABELS[metric]}`, '');
    out.push(`| system | ${rates.map((b) => `${kbpsLabel(b)} kbit/s`).join(' | ')} |`);
    out.push(`|---|${rates.map(() => '---').join('|')}|`);
    for (const s of report.systems) {
      const cells = rates.map((b) => {
        const sm = findSummary(report, s.name, b, metric);
        return sm ? `${sm.mean.toFixed(d)} [${sm.q025.toFixed(d)}, ${sm.q975.toFixed(d)}]` : '–';
      });
      out.push(`| ${mdEscape(s.name)} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  out.push(...paperComparison(report));
  if (report.errors.length > 0) {
    out.push('## Errors', '');
    for (const e of report.errors) {
      const where = [e.model, e.bitrate !== undefined ? `${kbpsLabel(e.bitrate)} kbit/s` : undefined].filter(Boolean).join(', ');
      out.push(`- \`${e.file}\`${where ? ` (${where})` : ''}: ${mdEscape(e.message.replace(/\s*\n\s*/g, ' '))}`);
    }
    out.push('');
  }
  return out.join('\n');
}

/**
 * Mean WB-PESQ and STOI of each system beside the NSVQ paper's published means at the same
 * rates (a different test set: a reference point only). Empty when no evaluated rate has a
 * paper value.
 */
export function paperComparison(report: EvalReport): string[] {
  const out: string[] = [];
  for (const metric of METRICS) {
    const paper = PAPER_NSVQ[metric];
    if (paper === undefined) continue;
    const rates = report.bitrates.filter((b) => paper[b] !== undefined);
    if (rates.length === 0) continue;
    const name = metric === 'pesq' ? 'WB-PESQ' : METRIC_LABELS[metric];
    out.push(`## Mean ${name} beside the NSVQ paper`, '');
    out.push(`| | ${rates.map((b) => `${kbpsLabel(b)} kbit/s`).join(' | ')} |`);
    out.push(`|---|${rates.map(() => '---').join('|')}|`);
    const d = metric === 'pesq' ? 2 : 3;
    out.push(`| NSVQ paper (LibriSpeech test; Vali & Bäckström 2022) | ${rates.map((b) => paper[b].toFixed(d)).join(' | ')} |`);
    for (const s of report.systems) {
      const cells = rates.map((b) => {
        const sm = findSummary(report, s.name, b, metric);
        return sm ? sm.mean.toFixed(3) : '–';
      });
      out.push(`| ${mdEscape(s.name)} (this run) | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  return out;
}
