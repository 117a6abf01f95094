/**
 * `decode` of one stream: frame blocks through the decoder and resampler into an atomic WAV.
 */
import { StreamResampler } from '../audio/resample.js';
import { WavWriter16 } from '../audio/wav-write.js';
import { checkModelMatches } from '../codec/model-check.js';
import { Decoder } from '../codec/decoder.js';
import { HEADER_BYTES, codedLength, type StreamHeader } from '../coding/container.js';
import { UserError } from '../errors.js';
import { loadModel, type CodecModel } from '../model/codec-model.js';
import { HOP } from '../dsp/window.js';
import { openProgressBar } from './progress.js';
import { openStreamFile } from './stream-file.js';
import { lossSpecFromOptions, type LossCliOptions } from './loss-options.js';
import { lossMask } from '../codec/loss-pattern.js';

export interface DecodeOptions extends LossCliOptions {
  rate: string;
  model?: string;
}

/** Per-call settings of decodeFile beyond the command's options. */
export interface DecodeFileContext {
  /** An already loaded model (folder mode loads it once per worker); default: load opts.model. */
  model?: CodecModel;
  /** Show a progress bar for a long stream on a terminal (single-file mode). */
  progress?: boolean;
}

/** Check a --rate value before any file is opened (folder mode checks it once). */
export function checkRateOption(text: string): 'original' | 16000 {
  const t = String(text).trim().toLowerCase();
  if (t === 'original') return t;
  if (t === '16000' || t === '16k') return 16000;
  throw new UserError(`invalid --rate '${text}': use 16000 or original`);
}

function parseRate(text: string, header: StreamHeader): number {
  const r = checkRateOption(text);
  return r === 'original' ? header.originalRate : r;
}

/** Frames decoded per read: bounds memory (a few tens of kB) whatever the file length. */
const FRAMES_PER_READ = 250;

/**
 * Decode one stream into an atomic WAV. With loss options (loss-options.ts), the frames of the
 * simulated loss pattern are concealed instead of decoded; the mask is returned.
 */
export async function decodeFile(input: string, output: string, opts: DecodeOptions, ctx: DecodeFileContext = {}): Promise<{ header: StreamHeader; lost: Uint8Array | null }> {
  const lossSpec = lossSpecFromOptions(opts);
  const file = openStreamFile(input);
  try {
    const { header } = file;
    const outRate = parseRate(opts.rate, header);
    const lost = lossSpec ? lossMask(lossSpec, header.frameCount) : null;
    const model = ctx.model ?? loadModel(opts.model);
    checkModelMatches(header, model);
    const decoder = new Decoder(model, header.bitrate);
    const resampler = await StreamResampler.create(16000, outRate);
    const writer = new WavWriter16(output, outRate);
    const bar = ctx.progress === true && header.frameCount > 50 * 30 ? await openProgressBar('decode [{bar}] {percentage}% {value}/{total} s') : null;
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
