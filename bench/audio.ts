/**
 * Audio input bench (`npm run bench:audio`), for issue 5 ("a one-hour file does not need an
 * hour of audio in memory"):
 *
 * 1. FLAC decode speed, our decoder (src/audio/flac.ts) against node-web-audio-api's
 *    decodeAudioData, interleaved file by file in the same run, on every FLAC in
 *    ../shared/speech (or the 16-bit test fixtures when ../shared is absent). Both decode from
 *    bytes in memory; speed is × real time by process CPU time and by wall clock.
 * 2. Peak memory of a one-hour FLAC: one hour of 16 kHz mono speech (shared LibriSpeech looped,
 *    or a synthetic signal) is encoded with the reference `flac` encoder into a temporary file
 *    (needs `flac` on PATH; skipped otherwise), then each way of reading it runs in its own child
 *    process, which reports its peak RSS: imports only (baseline), openSpeechStream (streaming),
 *    decodeAudioFile (ours, whole) and the old path (node-web-audio-api, whole).
 *
 * Prints a summary and writes bench/results/audio.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFlacBytes } from '../src/audio/flac.js';
import { decodeAudioFile } from '../src/audio/decode.js';
import { openSpeechStream } from '../src/audio/stream.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
const shared = process.env.NSVQ_SHARED_DIR ?? path.resolve(repo, '..', 'shared');
const LONG_SECONDS = 3600;
const LONG_RATE = 16000;

interface WebAudioBuffer { length: number; sampleRate: number; numberOfChannels: number; getChannelData(c: number): Float32Array }
interface WebAudio { OfflineAudioContext: new (c: number, n: number, r: number) => { decodeAudioData(b: ArrayBuffer): Promise<WebAudioBuffer> } }
const loadWebAudio = (): Promise<WebAudio> => import('node-web-audio-api' as string) as Promise<WebAudio>;

function flacFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...flacFiles(p));
    else if (e.endsWith('.flac')) out.push(p);
  }
  return out;
}

interface Cost { cpu: number; wall: number }
const add = (a: Cost, b: Cost): Cost => ({ cpu: a.cpu + b.cpu, wall: a.wall + b.wall });

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, Cost]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [v, { cpu: (c.user + c.system) / 1e6, wall }];
}

interface SpeedRow { files: number; audioSeconds: number; ours: Cost; webAudio: Cost }

async function decodeSpeed(): Promise<{ source: string; groups: Record<string, SpeedRow>; mismatches: number }> {
  let files = flacFiles(path.join(shared, 'speech'));
  let source = '../shared/speech (every FLAC)';
  if (files.length === 0) {
    files = flacFiles(path.join(repo, 'test', 'fixtures', 'flac')).filter((f) => /-(8|16|24)bit-/.test(path.basename(f)));
    source = 'test/fixtures/flac (8-24-bit fixtures; ../shared absent)';
  }
  const { OfflineAudioContext } = await loadWebAudio();
  const groups: Record<string, SpeedRow> = {};
  let mismatches = 0;
  // Warm-up: JIT both paths on a few files before timing.
  for (const f of files.slice(0, 5)) {
    const b = readFileSync(f);
    const d = decodeFlacBytes(b);
    await new OfflineAudioContext(1, 1, d.info.sampleRate).decodeAudioData(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }
  for (const f of files) {
    const rel = path.relative(path.join(shared, 'speech'), f);
    const group = rel.startsWith('..') ? 'fixtures' : rel.split(path.sep).slice(0, rel.startsWith('LibriSpeech') ? 2 : 1).join('/');
    const bytes = readFileSync(f);
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const [ours, oc] = await timed(() => decodeFlacBytes(bytes, f));
    const ctx = new OfflineAudioContext(1, 1, ours.info.sampleRate);
    const [ref, rc] = await timed(() => ctx.decodeAudioData(copy));
    if (ref.length !== ours.channels[0].length || ref.getChannelData(0).some((v, i) => !Object.is(v, ours.channels[0][i]))) mismatches++;
    const row = (groups[group] ??= { files: 0, audioSeconds: 0, ours: { cpu: 0, wall: 0 }, webAudio: { cpu: 0, wall: 0 } });
    row.files++;
    row.audioSeconds += ours.channels[0].length / ours.info.sampleRate;
    row.ours = add(row.ours, oc);
    row.webAudio = add(row.webAudio, rc);
  }
  return { source, groups, mismatches };
}

// ---- one-hour file, peak RSS in child processes -----------------------------------------------

/** One hour of 16 kHz mono int16 speech, in one-second pieces: shared LibriSpeech looped, or a synthetic signal. */
async function* longSpeech(): AsyncGenerator<Int16Array> {
  const sources = flacFiles(path.join(shared, 'speech', 'LibriSpeech', 'test-other'));
  let pool: Float32Array[] = [];
  if (sources.length > 0) pool = sources.slice(0, 20).map((f) => decodeFlacBytes(readFileSync(f)).channels[0]);
  else {
    // Speech-like stand-in: a 120 Hz pulse train through a resonator, with a slow envelope.
    const x = new Float32Array(LONG_RATE * 30);
    let y1 = 0;
    let y2 = 0;
    for (let i = 0; i < x.length; i++) {
      const e = (i % 133 === 0 ? 0.5 : 0) + (Math.random() - 0.5) * 0.02;
      const y = 1.9 * y1 - 0.96 * y2 + e;
      y2 = y1;
      y1 = y;
      x[i] = 0.05 * y * (0.6 + 0.4 * Math.sin((2 * Math.PI * i) / (LONG_RATE * 1.7)));
    }
    pool = [x];
  }
  let k = 0;
  let off = 0;
  for (let s = 0; s < LONG_SECONDS; s++) {
    const out = new Int16Array(LONG_RATE);
    for (let i = 0; i < out.length; i++) {
      if (off >= pool[k].length) { k = (k + 1) % pool.length; off = 0; }
      out[i] = Math.max(-32768, Math.min(32767, Math.round(pool[k][off++] * 32768)));
    }
    yield out;
  }
}

async function encodeLongFlac(file: string): Promise<void> {
  const child = spawn('flac', ['-5', '-s', '-f', '--force-raw-format', '--endian=little', '--sign=signed', '--channels=1', '--bps=16',
    `--sample-rate=${LONG_RATE}`, '-o', file, '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise<number>((resolve, reject) => { child.on('error', reject); child.on('close', (c) => resolve(c ?? -1)); });
  for await (const block of longSpeech()) {
    const le = new Uint8Array(block.buffer, block.byteOffset, block.byteLength); // x86/ARM: little-endian already
    if (!child.stdin.write(le)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`flac exited with ${code}`);
}

type ChildMode = 'baseline' | 'stream' | 'whole-ours' | 'whole-webaudio';
interface ChildReport {
  mode: ChildMode;
  /** Peak RSS of the whole child process (process.resourceUsage().maxRSS), start-up included. */
  maxRssMiB: number;
  /**
   * RSS before reading, and the largest RSS sampled while streaming (per chunk; 'stream' only),
   * over the whole hour and over its first ten minutes: equal when memory does not grow with length.
   */
  rssBeforeMiB: number;
  rssDuringMaxMiB: number;
  rssFirstTenMinutesMaxMiB: number;
  cpu: number;
  wall: number;
  samples: number;
}

/** Runs in a child process: read `file` one way, then report peak RSS as JSON on stdout. */
async function rssChild(mode: ChildMode, file: string): Promise<void> {
  const mib = (): number => process.memoryUsage().rss / 2 ** 20;
  const rssBeforeMiB = mib();
  let rssDuringMaxMiB = rssBeforeMiB;
  let rssFirstTenMinutesMaxMiB = rssBeforeMiB;
  const [samples, cost] = await timed(async () => {
    if (mode === 'stream') {
      const st = await openSpeechStream(file);
      let n = 0;
      for await (const c of st.chunks) {
        n += c.length;
        rssDuringMaxMiB = Math.max(rssDuringMaxMiB, mib());
        if (n <= 600 * LONG_RATE) rssFirstTenMinutesMaxMiB = rssDuringMaxMiB;
      }
      return n;
    }
    if (mode === 'whole-ours') return (await decodeAudioFile(file)).channels[0].length;
    if (mode === 'whole-webaudio') {
      // The previous FLAC path: whole file in memory, decodeAudioData, then a copy per channel.
      const { OfflineAudioContext } = await loadWebAudio();
      const bytes = await readFile(file);
      const buf = await new OfflineAudioContext(1, 1, LONG_RATE).decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      return Float32Array.from(buf.getChannelData(0)).length;
    }
    return 0;
  });
  const report: ChildReport = { mode, maxRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB, rssDuringMaxMiB, rssFirstTenMinutesMaxMiB, cpu: cost.cpu, wall: cost.wall, samples };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function runChild(mode: ChildMode, file: string): ChildReport {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildReport;
}

async function longFileMemory(): Promise<Record<string, unknown>> {
  if (spawnSync('flac', ['--version']).status !== 0) {
    console.log('peak RSS: skipped (the reference `flac` encoder is not installed; apt-get install flac)');
    return { skipped: 'flac encoder not installed' };
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nsvq-bench-audio-'));
  try {
    const file = path.join(tmp, 'one-hour.flac');
    const [, enc] = await timed(() => encodeLongFlac(file));
    const bytes = statSync(file).size;
    console.log(`one-hour FLAC: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${LONG_SECONDS} s at ${LONG_RATE} Hz (made in ${enc.wall.toFixed(0)} s)`);
    const reports: ChildReport[] = [];
    for (const mode of ['baseline', 'stream', 'whole-ours', 'whole-webaudio'] as const) {
      const r = runChild(mode, file);
      reports.push(r);
      const rt = r.samples > 0 ? `, ${(r.samples / LONG_RATE / r.cpu).toFixed(0)}× real time by CPU` : '';
      const during = mode === 'stream' ? ` (RSS ${r.rssBeforeMiB.toFixed(0)} MiB before reading; while streaming at most ${r.rssFirstTenMinutesMaxMiB.toFixed(0)} MiB in the first ten minutes, ${r.rssDuringMaxMiB.toFixed(0)} MiB over the hour)` : '';
      console.log(`  ${mode.padEnd(15)} peak RSS ${r.maxRssMiB.toFixed(0).padStart(5)} MiB${rt}${during}`);
    }
    return {
      input: sharedAvailable() ? 'LibriSpeech test-other (first 20 files) looped to one hour' : 'synthetic speech-like signal looped to one hour',
      fileBytes: bytes, seconds: LONG_SECONDS, sampleRate: LONG_RATE, encoder: 'flac -5 (reference encoder)', children: reports,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function sharedAvailable(): boolean {
  return flacFiles(path.join(shared, 'speech', 'LibriSpeech', 'test-other')).length > 0;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') {
    await rssChild(process.argv[3] as ChildMode, process.argv[4]);
    return;
  }
  console.log(`audio bench: load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  const speed = await decodeSpeed();
  console.log(`FLAC decode, ${speed.source}; × real time (CPU / wall), same run, interleaved per file:`);
  const summary: Record<string, unknown> = {};
  for (const [g, r] of Object.entries(speed.groups)) {
    const x = (c: Cost) => ({ cpu: r.audioSeconds / c.cpu, wall: r.audioSeconds / c.wall });
    const ours = x(r.ours);
    const web = x(r.webAudio);
    summary[g] = { ...r, oursRealTime: ours, webAudioRealTime: web, oursOverWebAudioCpu: ours.cpu / web.cpu };
    console.log(`  ${g.padEnd(28)} ${String(r.files).padStart(4)} files ${r.audioSeconds.toFixed(0).padStart(5)} s: ` +
      `ours ${ours.cpu.toFixed(0)}× / ${ours.wall.toFixed(0)}×, node-web-audio-api ${web.cpu.toFixed(0)}× / ${web.wall.toFixed(0)}× ` +
      `(ours/theirs ${(ours.cpu / web.cpu).toFixed(2)} by CPU)`);
  }
  console.log(`  files whose samples differ from node-web-audio-api: ${speed.mismatches}`);
  const memory = await longFileMemory();
  const result = {
    bench: 'audio',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}` },
    loadAverage1m: os.loadavg()[0],
    method: 'decode from bytes in memory, ours and node-web-audio-api alternating per file after a 5-file warm-up; × real time = audio seconds / process CPU seconds (and / wall seconds). Peak RSS: process.resourceUsage().maxRSS of a fresh child process per reading mode.',
    decode: { source: speed.source, mismatches: speed.mismatches, groups: summary },
    oneHourFlac: memory,
  };
  const outDir = path.join(repo, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  await writeFileAtomic(path.join(outDir, 'audio.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'audio.json'))}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
