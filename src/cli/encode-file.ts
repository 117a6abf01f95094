import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { openSpeechStream } from '../../audio/stream.js';
import { Encoder } from '../../codec/encoder.js';
import { parseBitrate } from '../../codec/modes.js';
import { FORMAT_VERSION, HEADER_BYTES, MAX_ORIGINAL_RATE, MIN_ORIGINAL_RATE, codedLength, frameCountFor, writeHeader } from '../../coding/container.js';
import { UserError } from '../../errors.js';
import { loadModel } from '../../model/codec-model.js';
import { AtomicFileWriter } from '../../util/atomic-file.js';
import { runAction } from '../run-action.js';

interface EncodeOptions {
  bitrate: string;
  model?: string;
}

function openOutput(path: string): AtomicFileWriter {
  try {
    return new AtomicFileWriter(path);
  } catch (err) {
    throw new UserError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Stream the input through the encoder: memory stays bounded (for WAV input) however long the
 * file is. The header is written first, from the input's length, which the audio stream knows
 * up front; the output appears only when complete (atomic rename).
 */
export async function encodeFile(input: string, output: string, opts: EncodeOptions): Promise<{ frames: number; samples: number }> {
  const bitrate = parseBitrate(opts.bitrate);
  const model = loadModel(opts.model);
  const stream = await openSpeechStream(input);
  if (stream.originalRate < MIN_ORIGINAL_RATE || stream.originalRate > MAX_ORIGINAL_RATE) {
    throw new UserError(`unsupported sample rate ${stream.originalRate} Hz in ${input}`);
  }
  const expected = codedLength(stream.originalLength, stream.originalRate);
  const encoder = new Encoder(model, bitrate);
  const out = openOutput(output);
  const bar = process.stderr.isTTY && expected > 16000 * 30
    ? new cliProgress.SingleBar({ format: 'encode [{bar}] {percentage}% {value}/{total} s', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  let samples = 0;
  let frames = 0;
  try {
    const header = () =>
      writeHeader({ version: FORMAT_VERSION, bitrate, originalRate: stream.originalRate, originalLength: stream.originalLength, frameCount: frameCountFor(expected), modelId: model.id });
    out.write(header());
    bar?.start(Math.ceil(expected / 16000), 0);
    const put = (fs: Uint8Array[]): void => {
      for (const f of fs) out.write(f);
      frames += fs.length;
    };
    for await (const chunk of stream.chunks) {
      put(encoder.push(chunk));
      samples += chunk.length;
      bar?.update(Math.floor(samples / 16000));
    }
    put(encoder.flush());
    // The audio stream promises exactly codedLength(...) samples; the header was written for it.
    if (samples !== expected || frames !== frameCountFor(samples) || out.bytesWritten !== HEADER_BYTES + frames * encoder.frameBytes) {
      throw new Error(`encode: ${frames} frames for ${samples} samples, expected ${expected} samples (bug)`);
    }
    bar?.stop();
    out.commit();
  } catch (err) {
    bar?.stop();
    out.abort();
    throw err;
  }
  return { frames, samples };
}

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description('encode an audio file (WAV, FLAC, Ogg, MP3) into an nsvq-codec bitstream')
    .argument('<input>', 'input audio file')
    .argument('<output>', 'output bitstream (.bin)')
    .option('-b, --bitrate <rate>', 'bitrate: 8000, 9600, 13200, 16400, 24400 or 32000 (also 8k, 13.2k, ...)', '13200')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .action(runAction(async (input: string, output: string, opts: EncodeOptions) => {
      await encodeFile(input, output, opts);
    }));
}
