/**
 * Which outputs a many-file `encode`/`decode` writes (issue 15): every input file gets one
 * output path under the output folder, with the folder layout kept.
 *
 *   encode IN_DIR OUT_DIR          IN_DIR/a/b.flac      → OUT_DIR/a/b.bin
 *   encode x.wav y.flac OUT_DIR    x.wav, y.flac        → OUT_DIR/x.bin, OUT_DIR/y.bin
 *   encode d1 d2 z.wav OUT_DIR     d1/a/b.wav, z.wav    → OUT_DIR/d1/a/b.bin, OUT_DIR/z.bin
 *
 * One folder alone is mirrored into OUT_DIR; with several inputs each folder keeps its own name,
 * as `cp -r` does. Problems with one input (missing, or a second input with the same output
 * path) become failed items, listed at the end, so the other files still run.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isAudioName, listFiles } from '../audio/scan.js';
import { UserError } from '../errors.js';

export type BatchKind = 'encode' | 'decode';

export interface BatchItem {
  input: string;
  output: string;
  /** How the input is named in progress and failure lists (relative where it can be). */
  label: string;
}

export interface BatchFailure {
  label: string;
  message: string;
  /** A bug rather than a problem with the input (exit code 2). */
  internal?: boolean;
}

export interface BatchPlan {
  items: BatchItem[];
  /** Inputs that cannot run at all (missing, clashing outputs). */
  failures: BatchFailure[];
  outDir: string;
}

/** The output file ending of each command. */
export const OUTPUT_EXTENSION: Record<BatchKind, string> = { encode: '.bin', decode: '.wav' };

/** The files each command picks up from a folder: audio for encode, bitstreams for decode. */
function acceptsName(kind: BatchKind): (name: string) => boolean {
  return kind === 'encode' ? isAudioName : (name) => path.extname(name).toLowerCase() === '.bin';
}

function withExtension(rel: string, ext: string): string {
  const parsed = path.parse(rel);
  return path.join(parsed.dir, parsed.name + ext);
}

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(p);
  } catch {
    return null;
  }
}

/** Map inputs (files and folders) to outputs under outDir; see the module comment. */
export async function planBatch(kind: BatchKind, inputs: readonly string[], outDir: string): Promise<BatchPlan> {
  const outAbs = path.resolve(outDir);
  const outStat = await statOrNull(outAbs);
  if (outStat && !outStat.isDirectory()) {
    throw new UserError(`output ${outDir} is not a folder (with several inputs or a folder input, the last argument is the output folder)`);
  }
  const ext = OUTPUT_EXTENSION[kind];
  const accept = acceptsName(kind);
  const items: BatchItem[] = [];
  const failures: BatchFailure[] = [];
  const mirrorSingleFolder = inputs.length === 1;
  const skip = new Set([outAbs]);
  for (const input of inputs) {
    const abs = path.resolve(input);
    const st = await statOrNull(abs);
    if (!st) {
      failures.push({ label: input, message: `no such file or folder: ${input}` });
    } else if (st.isDirectory()) {
      if (abs === outAbs) throw new UserError(`the output folder ${outDir} is also an input`);
      const base = mirrorSingleFolder ? '' : path.basename(abs);
      const files = await listFiles(abs, accept, skip);
      if (files.length === 0) {
        failures.push({ label: input, message: `no ${kind === 'encode' ? 'audio' : '.bin'} files in folder ${input}` });
      }
      for (const f of files) {
        items.push({ input: f.path, output: path.join(outAbs, base, withExtension(f.rel, ext)), label: path.join(input, f.rel) });
      }
    } else {
      items.push({ input: abs, output: path.join(outAbs, withExtension(path.basename(abs), ext)), label: input });
    }
  }
  // Two inputs that would write the same file (a.wav and a.flac, or x/a.wav and y/a.wav given
  // as files): the first keeps it, the others fail, so no output is silently overwritten.
  const claimed = new Map<string, string>();
  const unique: BatchItem[] = [];
  for (const it of items) {
    const first = claimed.get(it.output);
    if (first !== undefined) {
      failures.push({ label: it.label, message: `its output ${path.relative(process.cwd(), it.output) || it.output} is also the output of ${first}` });
      continue;
    }
    if (path.resolve(it.input) === it.output) {
      failures.push({ label: it.label, message: 'its output would overwrite the input' });
      continue;
    }
    claimed.set(it.output, it.label);
    unique.push(it);
  }
  return { items: unique, failures, outDir: outAbs };
}
