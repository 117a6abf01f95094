/**
 * Write a report folder: report.json, report.md, results.csv and pesq.svg / psnr.svg / stoi.svg /
 * estoi.svg.
 * Each file is written atomically (temporary file + rename), so a reader never sees a partial one.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { EvalReport, METRICS } from './report.js';
import { reportToCsv, reportToJson, reportToMarkdown } from './report-format.js';
import { renderMetricChart } from './charts.js';

export const REPORT_FILES = ['report.json', 'report.md', 'results.csv', ...METRICS.map((m) => `${m}.svg`)] as const;

/** Render everything first, then write, so a rendering failure leaves the folder untouched. */
export async function writeReportFolder(dir: string, report: EvalReport): Promise<string[]> {
  const contents = new Map<string, string>([
    ['report.json', reportToJson(report)],
    ['report.md', reportToMarkdown(report)],
    ['results.csv', reportToCsv(report)],
  ]);
  for (const m of METRICS) contents.set(`${m}.svg`, await renderMetricChart(report, m));
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of contents) {
    const p = path.join(dir, name);
    await writeFileAtomic(p, text);
    written.push(p);
  }
  return written;
}
