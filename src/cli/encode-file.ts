/**
 * `encode` of one file: stream the input through the encoder into an atomic output.
 */
import { openSpeechStream } from '../audio/stream.js';
import { Encoder } from '../codec/encoder.js';
import { parseBitrate } from '../coding/modes.js';
import { FORMAT_VERSION, HEADER_BYTES, MAX_ORIGINAL_RATE, MIN_ORIGINAL_RATE, codedLength, frameCountFor, writeHeader } from '../coding/container.js';
import { UserError } from '../errors.js';
import { loadModel, type CodecModel } from '../model/codec-model.js';
import { AtomicFileWriter } from '../util/atomic-file.js';
import { openProgressBar } from './progress.js';

export interface EncodeOptions {
  bitrate: string;
  model?: string;
}

/** Per-call settings of encodeFile beyond the command's options. */
export interface EncodeFileContext {
  /** An already loaded model (folder mode loads it once per worker); default: load opts.model. */
  model?: CodecModel;
  /** Show a progress bar for a long input on a terminal (single-file mode). */
  progress?: boolean;
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
export async function encodeFile(input: string, output: string, opts: EncodeOptions, ctx: EncodeFileContext = {}): Promise<{ frames: number; samples: number }> {
  const bitrate = parseBitrate(opts.bitrate);
  const model = ctx.model ?? loadModel(opts.model);
  const stream = await openSpeechStream(input);
  if (stream.originalRate < MIN_ORIGINAL_RATE || stream.originalRate > MAX_ORIGINAL_RATE) {
    throw new UserError(`unsupported sample rate ${stream.originalRate} Hz in ${input}`);
  }
  const expected = codedLength(stream.originalLength, stream.originalRate);
  const encoder = new Encoder(model, bitrate);
  const out = openOutput(output);
  const bar = ctx.progress === true && expected > 16000 * 30 ? await openProgressBar('encode [{bar}] {percentage}% {value}/{total} s') : null;
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
