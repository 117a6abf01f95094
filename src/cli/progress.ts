/**
 * The one progress-bar style of the CLI, on stderr and only on a terminal. cli-progress is
 * imported on first use, so commands that show no bar do not pay for loading it (issue 15).
 */

/** The slice of cli-progress's SingleBar the commands use. */
export interface ProgressBar {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/** A bar with this format (cli-progress tokens), or null when stderr is not a terminal. */
export async function openProgressBar(format: string): Promise<ProgressBar | null> {
  if (!process.stderr.isTTY) return null;
  const { default: cliProgress } = await import('cli-progress');
  return new cliProgress.SingleBar({ format, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
}
