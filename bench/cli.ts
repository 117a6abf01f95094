/**
 * Whole-process CLI bench (`npm run bench:cli`, issue 15): `nsvq-codec encode`/`decode` as a
 * user runs them, against opusenc/opusdec measured in the same run, the start-up cost on a
 * 1 s stream, and folder mode's files per second with 1 and 2 jobs.
 *
 * - Long file: test-other FLACs (sorted) concatenated and cut to 46.6 s, as a 16 kHz WAV in a
 *   temporary folder (never in the repo). 13.2 kbit/s; Opus with --hard-cbr --framesize 20
 *   --comp 10. Each command runs ROUNDS times after one warm-up, the commands interleaved so a
 *   change in machine speed hits all of them alike; figures are medians by CPU time.
 * - CPU time of a child (user + sys, all its threads) comes from bash's `times` (getrusage of
 *   the children), so the figure includes Node's own start-up, as a user pays it.
 * - Opus is skipped, with a message, when opusenc/opusdec are not installed.
 * - Folder run: the first FOLDER_FILES FLACs of train-clean-100 linked into a temporary tree
 *   (layout kept), encoded at 13.2 kbit/s and decoded back, with --jobs 1 and --jobs 2.
 * Writes bench/results/cli.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpeech } from '../src/audio/load.js';
import { listFiles } from '../src/audio/scan.js';
import { writeWav16 } from '../src/audio/wav-write.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 5);
const LONG_SECONDS = 46.6;
const FOLDER_FILES = Number(process.env.BENCH_CLI_FOLDER_FILES ?? 200);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const shared = process.env.NSVQ_SHARED_DIR ?? path.resolve(repo, '..', 'shared');
const BIN = path.join(repo, 'bin', 'nsvq-codec.js');

interface Run {
  cpu: number;
  wall: number;
}

/** One whole-process run: CPU from the shell's `times` (children line), wall around it. */
function runTimed(cmd: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null; rc=$?; times; exit $rc', 'bash', ...cmd], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`bench: ${cmd.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1].trim());
  if (!m) throw new Error(`bench: cannot read times output: ${r.stdout}`);
  const cpu = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return { cpu, wall };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Figure {
  command: string;
  cpuMedian: number;
  cpuMin: number;
  cpuMax: number;
  /** Wall time of the run with the median CPU time. */
  wallMedian: number;
  runs: Run[];
}

/** All commands ROUNDS times after one warm-up each, interleaved round by round. */
function measure(commands: Record<string, string[]>): Record<string, Figure> {
  const runs: Record<string, Run[]> = {};
  for (const [name, cmd] of Object.entries(commands)) {
    runTimed(cmd);
    runs[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) for (const [name, cmd] of Object.entries(commands)) runs[name].push(runTimed(cmd));
  const out: Record<string, Figure> = {};
  for (const [name, rs] of Object.entries(runs)) {
    const cpus = rs.map((x) => x.cpu);
    const med = median(cpus);
    out[name] = {
      command: commands[name].map((a) => (a.startsWith(os.tmpdir()) ? path.basename(a) : a.startsWith(repo) ? path.relative(repo, a) : a)).join(' '),
      cpuMedian: med,
      cpuMin: Math.min(...cpus),
      cpuMax: Math.max(...cpus),
      wallMedian: rs[cpus.indexOf(med)].wall,
      runs: rs,
    };
  }
  return out;
}

function have(tool: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${tool}`]).status === 0;
}

async function makeLongWav(out: string): Promise<string[]> {
  const files = (await listFiles(path.join(shared, 'speech', 'LibriSpeech', 'test-other'), (n) => n.endsWith('.flac'))).map((f) => f.path);
  const want = Math.round(LONG_SECONDS * 16000);
  const parts: Float32Array[] = [];
  const used: string[] = [];
  let n = 0;
  for (const f of files) {
    if (n >= want) break;
    const { samples } = await loadSpeech(f);
    parts.push(samples);
    used.push(path.relative(shared, f));
    n += samples.length;
  }
  const x = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    x.set(p, o);
    o += p.length;
  }
  await writeWav16(out, x.subarray(0, Math.min(n, want)), 16000);
  return used;
}

/** The first `count` FLACs of a LibriSpeech folder, linked into `dest` with their layout. */
async function linkFolder(src: string, dest: string, count: number): Promise<number> {
  const files = (await listFiles(src, (n) => n.endsWith('.flac'))).slice(0, count);
  for (const f of files) {
    const to = path.join(dest, f.rel);
    mkdirSync(path.dirname(to), { recursive: true });
    symlinkSync(f.path, to);
  }
  return files.length;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(shared, 'speech', 'LibriSpeech', 'test-other'))) {
    process.stdout.write(`bench:cli skipped: ${path.join(shared, 'speech')} not found (set NSVQ_SHARED_DIR)\n`);
    return;
  }
  if (!have('bash')) throw new Error('bench:cli needs bash (its `times` gives the children\'s CPU time)');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsvq-bench-cli-'));
  try {
    const longWav = path.join(tmp, 'long.wav');
    const sources = await makeLongWav(longWav);
    const longBin = path.join(tmp, 'long.bin');
    const oneWav = path.join(tmp, 'one.wav');
    const oneBin = path.join(tmp, 'one.bin');
    const { samples } = await loadSpeech(longWav);
    await writeWav16(oneWav, samples.subarray(0, 16000), 16000);
    runTimed(['node', BIN, 'encode', longWav, longBin, '--bitrate', '13.2k']);
    runTimed(['node', BIN, 'encode', oneWav, oneBin, '--bitrate', '13.2k']);
    const opus = have('opusenc') && have('opusdec');
    if (!opus) process.stdout.write('opusenc/opusdec not found: Opus skipped (apt-get install opus-tools)\n');
    const longOpus = path.join(tmp, 'long.opus');
    if (opus) runTimed(['opusenc', '--quiet', '--bitrate', '13.2', '--hard-cbr', '--framesize', '20', '--comp', '10', longWav, longOpus]);

    const cmds: Record<string, string[]> = {
      nodeEmpty: ['node', '-e', '0'],
      encodeLong: ['node', BIN, 'encode', longWav, path.join(tmp, 'out.bin'), '--bitrate', '13.2k'],
      decodeLong: ['node', BIN, 'decode', longBin, path.join(tmp, 'out.wav')],
      decodeOneSecond: ['node', BIN, 'decode', oneBin, path.join(tmp, 'one-out.wav')],
      encodeOneSecond: ['node', BIN, 'encode', oneWav, path.join(tmp, 'one-out.bin'), '--bitrate', '13.2k'],
    };
    if (opus) {
      cmds.opusenc = ['opusenc', '--quiet', '--bitrate', '13.2', '--hard-cbr', '--framesize', '20', '--comp', '10', longWav, path.join(tmp, 'out.opus')];
      cmds.opusdec = ['opusdec', '--quiet', longOpus, path.join(tmp, 'out-opus.wav')];
    }
    process.stdout.write(`timing ${Object.keys(cmds).length} commands, ${ROUNDS} rounds after a warm-up...\n`);
    const fig = measure(cmds);

    // Folder mode over train-clean-100 (a prefix of it, linked into a temporary tree).
    let folder: Record<string, unknown> | null = null;
    const trainDir = path.join(shared, 'speech', 'LibriSpeech', 'train-clean-100');
    if (existsSync(trainDir)) {
      const tree = path.join(tmp, 'tree');
      const files = await linkFolder(trainDir, tree, FOLDER_FILES);
      process.stdout.write(`folder run: ${files} files of train-clean-100, --jobs 1 and 2...\n`);
      const rows: Record<string, unknown>[] = [];
      for (const jobs of [1, 2]) {
        const bins = path.join(tmp, `bins${jobs}`);
        const wavs = path.join(tmp, `wavs${jobs}`);
        const enc = runTimed(['node', BIN, 'encode', tree, bins, '--bitrate', '13.2k', '--jobs', String(jobs)]);
        const dec = runTimed(['node', BIN, 'decode', bins, wavs, '--jobs', String(jobs)]);
        rows.push({ jobs, encode: { ...enc, filesPerSecond: files / enc.wall }, decode: { ...dec, filesPerSecond: files / dec.wall } });
        rmSync(bins, { recursive: true, force: true });
        rmSync(wavs, { recursive: true, force: true });
      }
      folder = { source: 'speech/LibriSpeech/train-clean-100 (first files in sorted order)', files, bitrate: 13200, rows };
    } else {
      process.stdout.write(`folder run skipped: ${trainDir} not found\n`);
    }

    const f = (x: number): string => x.toFixed(3);
    const ratio = (a: number, b: number): number => a / b;
    const targets = {
      decodeOneSecondCpuAtMost: 0.1,
      encodeSpeedupOverOpusencAtLeast: 2.6,
      decodeCpuRelativeToOpusdecAtMost: 1,
    };
    const met = {
      decodeOneSecond: fig.decodeOneSecond.cpuMedian <= targets.decodeOneSecondCpuAtMost,
      encodeVsOpus: opus ? ratio(fig.opusenc.cpuMedian, fig.encodeLong.cpuMedian) >= targets.encodeSpeedupOverOpusencAtLeast : null,
      decodeVsOpus: opus ? fig.decodeLong.cpuMedian <= fig.opusdec.cpuMedian : null,
    };
    const lines = [
      `machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores; node ${process.version}`,
      `long file: ${LONG_SECONDS} s (${sources.length} test-other files), 13.2 kbit/s; median of ${ROUNDS} by CPU time (min–max)`,
      `  node -e 0 (floor)          CPU ${f(fig.nodeEmpty.cpuMedian)} s`,
      `  nsvq-codec encode          CPU ${f(fig.encodeLong.cpuMedian)} s (${f(fig.encodeLong.cpuMin)}–${f(fig.encodeLong.cpuMax)}), wall ${f(fig.encodeLong.wallMedian)} s`,
      `  nsvq-codec decode          CPU ${f(fig.decodeLong.cpuMedian)} s (${f(fig.decodeLong.cpuMin)}–${f(fig.decodeLong.cpuMax)}), wall ${f(fig.decodeLong.wallMedian)} s`,
    ];
    if (opus) {
      lines.push(
        `  opusenc --comp 10          CPU ${f(fig.opusenc.cpuMedian)} s (${f(fig.opusenc.cpuMin)}–${f(fig.opusenc.cpuMax)}), wall ${f(fig.opusenc.wallMedian)} s`,
        `  opusdec                    CPU ${f(fig.opusdec.cpuMedian)} s (${f(fig.opusdec.cpuMin)}–${f(fig.opusdec.cpuMax)}), wall ${f(fig.opusdec.wallMedian)} s`,
        `  encode: opusenc / nsvq = ${ratio(fig.opusenc.cpuMedian, fig.encodeLong.cpuMedian).toFixed(2)}× (target ≥ ${targets.encodeSpeedupOverOpusencAtLeast}×: ${met.encodeVsOpus ? 'met' : 'NOT met'})`,
        `  decode: nsvq / opusdec = ${ratio(fig.decodeLong.cpuMedian, fig.opusdec.cpuMedian).toFixed(2)}× the CPU (target ≤ 1×: ${met.decodeVsOpus ? 'met' : 'NOT met'})`,
      );
    }
    lines.push(
      `start-up: decode of a 1 s stream CPU ${f(fig.decodeOneSecond.cpuMedian)} s (target ≤ ${targets.decodeOneSecondCpuAtMost} s: ${met.decodeOneSecond ? 'met' : 'NOT met'}); encode of 1 s CPU ${f(fig.encodeOneSecond.cpuMedian)} s`,
    );
    if (folder) {
      for (const r of folder.rows as Array<{ jobs: number; encode: Run & { filesPerSecond: number }; decode: Run & { filesPerSecond: number } }>) {
        lines.push(`folder, --jobs ${r.jobs}: encode ${r.encode.filesPerSecond.toFixed(1)} files/s (wall ${f(r.encode.wall)} s, CPU ${f(r.encode.cpu)} s), decode ${r.decode.filesPerSecond.toFixed(1)} files/s (wall ${f(r.decode.wall)} s, CPU ${f(r.decode.cpu)} s)`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const result = {
      bench: 'cli',
      date: new Date().toISOString(),
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadavg: os.loadavg() },
      rounds: ROUNDS,
      statistic: 'median of the rounds by CPU time (user + sys of the whole process); wall of that run',
      longFile: { seconds: LONG_SECONDS, sources, bitrate: 13200 },
      opus: opus ? spawnSync('opusenc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : 'not installed (skipped)',
      figures: fig,
      ratios: opus ? { opusencOverNsvqEncodeCpu: ratio(fig.opusenc.cpuMedian, fig.encodeLong.cpuMedian), nsvqDecodeOverOpusdecCpu: ratio(fig.decodeLong.cpuMedian, fig.opusdec.cpuMedian) } : null,
      targets,
      met,
      folder,
    };
    const outDir = path.join(repo, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    await writeFileAtomic(path.join(outDir, 'cli.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`wrote bench/results/cli.json\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
