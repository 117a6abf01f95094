/**
 * The positional arguments of `encode` and `decode`: inputs, then one output. Two files is the
 * one-file mode (as before); a folder input, several inputs or an existing output folder is
 * folder mode (batch-run.ts). Light on purpose: it runs before the codec modules are loaded.
 */
import { InvalidArgumentError } from 'commander';
import { promises as fs } from 'node:fs';
import { UserError } from '../errors.js';

export interface PathPlan {
  /** One input file to one output file. */
  single: boolean;
  inputs: string[];
  output: string;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function splitPaths(command: 'encode' | 'decode', paths: readonly string[]): Promise<PathPlan> {
  if (paths.length < 2) {
    throw new UserError(`${command} needs an input and an output (run nsvq-codec ${command} --help)`);
  }
  const inputs = paths.slice(0, -1);
  const output = paths[paths.length - 1];
  const single = inputs.length === 1 && !(await isDirectory(inputs[0])) && !(await isDirectory(output));
  return { single, inputs, output };
}

/** --jobs: a whole number ≥ 1. */
export function jobsOption(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('--jobs must be a positive integer');
  return n;
}

/** The "several files and folders" part of `encode --help` and `decode --help`. */
export function MANY_FILES_HELP(command: 'encode' | 'decode', ext: string, picks: string): string {
  const [one, oneOut, a, b, dir] = command === 'encode'
    ? ['in.wav', 'out.bin', 'a.wav', 'b.flac', 'speech/']
    : ['in.bin', 'out.wav', 'a.bin', 'b.bin', 'streams/'];
  const col = (text: string): string => text.padEnd(44);
  return `
Examples:
  ${col(`nsvq-codec ${command} ${one} ${oneOut}`)}one file
  ${col(`nsvq-codec ${command} ${a} ${b} OUT_DIR`)}OUT_DIR/a${ext}, OUT_DIR/b${ext}
  ${col(`nsvq-codec ${command} ${dir} OUT_DIR`)}a whole folder, recursive

Folders: every ${picks} file in the folder and its subfolders is
${command}d to the same relative path under OUT_DIR, ending in ${ext}. With several
inputs, each folder keeps its own name under OUT_DIR. OUT_DIR is created if needed.
Files run in parallel on --jobs worker threads (--jobs 1: in the main thread), with
one progress bar on a terminal. A file that fails is skipped and listed at the end;
the others still run, and the exit code is then 1. Every output is written to a
temporary file and renamed when complete, so no partial file is ever left behind.
`;
}
