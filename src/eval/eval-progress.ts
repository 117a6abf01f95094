/**
 * Progress of an evaluation on stderr: a cli-progress bar when stderr is a terminal, else a
 * plain line at most every `intervalMs` (and at the end), so logs of CI runs stay readable.
 */
import cliProgress from 'cli-progress';

export interface EvalProgress {
  step(): void;
  fileDone(): void;
  /** A message that must not be garbled by the bar (errors). */
  log(line: string): void;
  stop(): void;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.round(s - 60 * m);
  return m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function createEvalProgress(totalSteps: number, totalFiles: number, opts: { tty?: boolean; intervalMs?: number; quiet?: boolean } = {}): EvalProgress {
  const stream = process.stderr;
  let steps = 0;
  let files = 0;
  const t0 = Date.now();
  if (opts.quiet) {
    return { step: () => { steps++; }, fileDone: () => { files++; }, log: (l) => { stream.write(`${l}\n`); }, stop: () => {} };
  }
  if (opts.tty ?? stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: 'eval |{bar}| {value}/{total} round trips | {files}/{nfiles} files | {duration_formatted} elapsed, eta {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic);
    bar.start(totalSteps, 0, { files: 0, nfiles: totalFiles });
    return {
      step: () => { steps++; bar.update(steps, { files, nfiles: totalFiles }); },
      fileDone: () => { files++; bar.update(steps, { files, nfiles: totalFiles }); },
      log: (l) => {
        // Clear the bar's line, print, let the next update redraw it.
        stream.write(`\r\x1b[K${l}\n`);
        bar.render();
      },
      stop: () => { bar.update(steps, { files, nfiles: totalFiles }); bar.stop(); },
    };
  }
  const interval = opts.intervalMs ?? 10_000;
  let last = t0;
  const line = (): string => {
    const el = (Date.now() - t0) / 1000;
    const eta = steps > 0 ? (el * (totalSteps - steps)) / steps : NaN;
    const pct = totalSteps > 0 ? Math.floor((100 * steps) / totalSteps) : 100;
    return `eval: ${steps}/${totalSteps} round trips (${pct}%), ${files}/${totalFiles} files, ${fmtDuration(el)} elapsed, eta ${fmtDuration(eta)}`;
  };
  const maybe = (): void => {
    const now = Date.now();
    if (now - last >= interval) {
      last = now;
      stream.write(`${line()}\n`);
    }
  };
  return {
    step: () => { steps++; maybe(); },
    fileDone: () => { files++; maybe(); },
    log: (l) => { stream.write(`${l}\n`); },
    stop: () => { stream.write(`${line()}\n`); },
  };
}
