import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StreamResampler } from '../../audio/resample.js';
import { WavWriter16 } from '../../audio/wav-write.js';
import { checkModelMatches } from '../../codec/codec.js';
import { Decoder } from '../../codec/decoder.js';
import { HEADER_BYTES, codedLength, readHeader, type StreamHeader } from '../../coding/container.js';
import { CorruptDataError, UserError } from '../../errors.js';
import { loadModel } from '../../model/codec-model.js';
import { HOP } from '../../dsp/window.js';
import { runAction } from '../run-action.js';
import { lossSpecFromOptions, type LossCliOptions } from '../loss-options.js';
import { lossMask, maskStats } from '../../codec/loss-pattern.js';

interface DecodeOptions extends LossCliOptions {
  rate: string;
  model?: string;
}

/** An open stream file: its validated header and a reader for its bytes. */
export interface StreamFile {
  header: StreamHeader;
  size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Open a bitstream and validate its header against the file size (CorruptDataError if wrong). */
export function openStreamFile(path: string): StreamFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`not a file: ${path}`);
    const read = (offset: number, length: number): Uint8Array => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, st.size - offset)));
      let got = 0;
      while (got < buf.length) {
        const r = readSync(fd, buf, got, buf.length - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      if (got !== buf.length) throw new CorruptDataError(`${path}: file changed while reading`);
      return buf;
    };
    let header: StreamHeader;
    try {
      header = readHeader(read(0, HEADER_BYTES), st.size).header;
    } catch (err) {
      if (err instanceof CorruptDataError) throw new CorruptDataError(`${path}: ${err.message}`);
      throw err;
    }
    return { header, size: st.size, read, close: () => closeSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function parseRate(text: string, header: StreamHeader): number {
  const t = String(text).trim().toLowerCase();
  if (t === 'original') return header.originalRate;
  if (t === '16000' || t === '16k') return 16000;
  throw new UserError(`invalid --rate '${text}': use 16000 or original`);
}

/** Frames decoded per read: bounds memory (a few tens of kB) whatever the file length. */
const FRAMES_PER_READ = 250;

export async function decodeFile(input: string, output: string, opts: DecodeOptions): Promise<{ header: StreamHeader; lost: Uint8Array | null }> {
  const lossSpec = lossSpecFromOptions(opts);
  const file = openStreamFile(input);
  try {
    const { header } = file;
    const outRate = parseRate(opts.rate, header);
    const lost = lossSpec ? lossMask(lossSpec, header.frameCount) : null;
    const model = loadModel(opts.model);
    checkModelMatches(header, model);
    const decoder = new Decoder(model, header.bitrate);
    const resampler = await StreamResampler.create(16000, outRate);
    const writer = new WavWriter16(output, outRate);
    const bar = process.stderr.isTTY && header.frameCount > 50 * 30
      ? new cliProgress.SingleBar({ format: 'decode [{bar}] {percentage}% {value}/{total} s', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
      : null;
    try {
      bar?.start(Math.ceil(header.frameCount / 50), 0);
      const fb = decoder.frameBytes;
      const length16 = codedLength(header.originalLength, header.originalRate);
      // Output length: the coded length at 16 kHz, or exactly the input's length at its own rate.
      const target = outRate === 16000 ? length16 : outRate === header.originalRate ? header.originalLength : Infinity;
      let written = 0;
      const emit = (x: Float32Array): void => {
        const take = Math.min(x.length, target - written);
        if (take > 0) writer.write(take === x.length ? x : x.subarray(0, take));
        written += Math.max(0, take);
      };
      let produced = 0; // 16 kHz samples of the signal emitted so far
      for (let j0 = 0; j0 < header.frameCount; j0 += FRAMES_PER_READ) {
        const n = Math.min(FRAMES_PER_READ, header.frameCount - j0);
        const block = file.read(HEADER_BYTES + j0 * fb, n * fb);
        const pcm = new Float32Array(n * HOP);
        let used = 0;
        for (let i = 0; i < n; i++) {
          const y = lost?.[j0 + i] ? decoder.conceal() : decoder.decodeFrame(block.subarray(i * fb, (i + 1) * fb));
          if (j0 + i === 0) continue; // zero-delay framing: frame 0 yields the front padding
          const take = Math.min(HOP, length16 - produced);
          if (take <= 0) continue;
          pcm.set(take === HOP ? y : y.subarray(0, take), used);
          used += take;
          produced += take;
        }
        emit(resampler.push(pcm.subarray(0, used)));
        bar?.update(Math.floor((j0 + n) / 50));
      }
      bar?.update(Math.ceil(header.frameCount / 50));
      emit(resampler.finish());
      if (Number.isFinite(target) && written < target) emit(new Float32Array(target - written));
      bar?.stop();
      writer.commit();
    } catch (err) {
      bar?.stop();
      resampler.dispose();
      writer.abort();
      throw err;
    }
    return { header, lost };
  } finally {
    file.close();
  }
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode an nsvq-codec bitstream to a 16-bit PCM WAV file')
    .argument('<input>', 'input bitstream (.bin)')
    .argument('<output>', 'output WAV file')
    .option('-r, --rate <rate>', "output sample rate: '16000' or 'original'", '16000')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .option('--loss-rate <rate>', 'simulate packet loss: lose this fraction of frames (e.g. 0.1 or 10%) and conceal them')
    .option('--loss-seed <n>', 'seed of the simulated loss pattern (default 1)')
    .option('--loss-burst <frames>', 'bursty loss (Gilbert model) with this mean burst length, at --loss-rate overall')
    .option('--lost-frames <file>', 'conceal the frames listed in this file (0-based indices or ranges A-B; # comments)')
    .action(runAction(async (input: string, output: string, opts: DecodeOptions) => {
      const { header, lost } = await decodeFile(input, output, opts);
      if (lost) {
        const s = maskStats(lost);
        process.stderr.write(`nsvq-codec: concealed ${s.lost} of ${header.frameCount} frames (${s.bursts} bursts, longest ${s.longestBurst})\n`);
      }
    }));
}
