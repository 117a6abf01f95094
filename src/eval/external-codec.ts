/**
 * Another codec's round trip in the same report (issue 7, "External codecs"): the user gives a
 * shell command template, e.g.
 *   opus='opusenc --quiet --bitrate {kbps} --hard-cbr {in} x.opus && opusdec --quiet --rate 16000 x.opus {out}'
 * We write the 16 kHz reference to a temporary WAV ({in}), run the command through /bin/sh with
 * the placeholders substituted, and read {out} back with the project's loader at 16 kHz.
 *
 * Placeholders: {bitrate} (bit/s, e.g. 13200), {kbps} (kbit/s, e.g. 13.2), {in}, {out} (WAV
 * paths, shell-quoted) and {tmp} (the scratch folder). The command runs with the scratch folder
 * as its working directory, so intermediate files with fixed names (x.opus) never collide
 * between parallel jobs. The scratch folder is removed afterwards.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeWav16 } from '../audio/wav-write.js';
import { loadSpeech } from '../audio/load.js';

export interface ExternalCodecSpec {
  name: string;
  command: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const PLACEHOLDERS = ['bitrate', 'kbps', 'in', 'out', 'tmp'] as const;

/** Parse `NAME=CMD` (the --external option). UserError on a malformed spec. */
export function parseExternalSpec(text: string): ExternalCodecSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--external expects NAME='COMMAND {bitrate} {in} {out}', got '${text}'`);
  const name = text.slice(0, eq).trim();
  const command = text.slice(eq + 1).trim();
  if (!NAME_RE.test(name)) throw new UserError(`--external name '${name}' must be letters, digits, '_', '.', '+' or '-'`);
  if (!command) throw new UserError(`--external ${name}: the command is empty`);
  for (const p of ['in', 'out'] as const) {
    if (!command.includes(`{${p}}`)) throw new UserError(`--external ${name}: the command must contain {${p}}`);
  }
  const unknown = [...command.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) throw new UserError(`--external ${name}: unknown placeholder {${unknown[0]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
  return { name, command };
}

/** POSIX single-quote a word for /bin/sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Substitute the placeholders: numbers verbatim, paths shell-quoted. */
export function expandCommand(template: string, v: { bitrate: number; in: string; out: string; tmp: string }): string {
  const values: Record<string, string> = {
    bitrate: String(v.bitrate),
    kbps: String(v.bitrate / 1000),
    in: shellQuote(v.in),
    out: shellQuote(v.out),
    tmp: shellQuote(v.tmp),
  };
  return template.replace(/\{(bitrate|kbps|in|out|tmp)\}/g, (_m, k: string) => values[k]);
}

interface ShellResult { code: number | null; signal: NodeJS.Signals | null; stderr: string }

function runShell(command: string, cwd: string, timeoutMs: number): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { if (stderr.length < 8192) stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

export interface ExternalRunOptions {
  /** Kill the command after this long (default 5 minutes). */
  timeoutMs?: number;
  sampleRate?: number;
}

/**
 * Round-trip `samples` (16 kHz mono) through an external codec at `bitrate`; returns the decoded
 * signal resampled to 16 kHz. UserError (one line) when the command fails or writes no audio.
 */
export async function externalRoundTrip(spec: ExternalCodecSpec, samples: Float32Array, bitrate: number, opts: ExternalRunOptions = {}): Promise<Float32Array> {
  const rate = opts.sampleRate ?? 16000;
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'nsvq-eval-ext-'));
  try {
    const inPath = path.join(tmp, 'in.wav');
    const outPath = path.join(tmp, 'out.wav');
    await writeWav16(inPath, samples, rate);
    const cmd = expandCommand(spec.command, { bitrate, in: inPath, out: outPath, tmp });
    const r = await runShell(cmd, tmp, opts.timeoutMs ?? 300_000);
    if (r.code !== 0) {
      const lastLine = r.stderr.trim().split('\n').filter(Boolean).pop() ?? '';
      const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
      throw new UserError(`external codec '${spec.name}' ${how} at ${bitrate} bit/s${lastLine ? `: ${lastLine}` : ''}`);
    }
    try {
      await fs.access(outPath);
    } catch {
      throw new UserError(`external codec '${spec.name}' wrote no {out} file at ${bitrate} bit/s`);
    }
    const decoded = await loadSpeech(outPath, rate);
    return decoded.samples;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
