/**
 * Streaming speech input, so the CLI can encode an hour of audio without holding it in memory
 * (issue 5).
 *
 * WAV: the file is read in blocks of about one second, each block decoded, downmixed and pushed
 * through a stateful resampler; memory stays bounded by the block size. FLAC: the file is read
 * in 64 KiB pieces through our own decoder (flac.ts), frame by frame into the same resampler;
 * memory stays bounded by a few frames. Ogg and MP3 are decoded whole by node-web-audio-api (it
 * has no incremental API), then resampled and handed out in blocks: for them memory still grows
 * with the length.
 *
 * The samples equal `loadSpeech(path, targetRate).samples` up to float rounding, with exactly
 * the same length (resampledLength(originalLength, originalRate, targetRate)).
 */
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { UserError } from '../errors.js';
import { checkInputFile, decodeAudioFile } from './decode.js';
import { downmix } from './downmix.js';
import { flacFileBlocks, readFlacStreamInfo } from './flac-file.js';
import type { FlacStreamInfo } from './flac.js';
import { probeAudioFile } from './probe-file.js';
import { checkRates, resample, StreamResampler } from './resample.js';
import { decodeWavFrames, readWavLayout, type ByteSource, type WavLayout } from './wav.js';
import { CODEC_SAMPLE_RATE } from './load.js';

export interface SpeechStream {
  originalRate: number;
  originalChannels: number;
  /** Frames (samples per channel) in the file at its original rate. */
  originalLength: number;
  /** Mono blocks at the target rate. Iterate once. */
  chunks: AsyncIterable<Float32Array>;
}

/** Input frames per block: about one second. */
function blockFrames(rate: number): number {
  return Math.max(1024, rate);
}

function fdSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
  };
}

/** Decoded blocks of about a second of a WAV file's audio, all channels. */
function* wavBlocks(path: string, fd: number, layout: WavLayout): Generator<Float32Array[]> {
  const { format, dataOffset, frameCount } = layout;
  const step = blockFrames(format.sampleRate);
  const channels = Array.from({ length: format.channels }, () => new Float32Array(step));
  for (let start = 0; start < frameCount; start += step) {
    const frames = Math.min(step, frameCount - start);
    const bytes = new Uint8Array(frames * format.blockAlign);
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(fd, bytes, got, bytes.length - got, dataOffset + start * format.blockAlign + got);
      if (r === 0) throw new UserError(`truncated WAV: ${path}: file shrank while reading`);
      got += r;
    }
    const block = frames === step ? channels : channels.map((c) => c.subarray(0, frames));
    decodeWavFrames(bytes, format, frames, block, 0, path, start);
    yield block;
  }
}

/** Opens the file itself (on first iteration) so that an un-iterated stream holds nothing open. */
async function* wavChunks(path: string, layout: WavLayout, targetRate: number): AsyncGenerator<Float32Array> {
  const fd = openSync(path, 'r');
  let resampler: StreamResampler | undefined;
  try {
    resampler = await StreamResampler.create(layout.format.sampleRate, targetRate);
    for (const block of wavBlocks(path, fd, layout)) {
      const out = resampler.push(downmix(block));
      if (out.length > 0) yield out;
    }
    const tail = resampler.finish();
    if (tail.length > 0) yield tail;
  } finally {
    resampler?.dispose();
    closeSync(fd);
  }
}

/** FLAC frames through the resampler; flacFileBlocks opens the file on the first frame and closes it when done. */
async function* flacChunks(path: string, info: FlacStreamInfo, targetRate: number): AsyncGenerator<Float32Array> {
  let resampler: StreamResampler | undefined;
  try {
    resampler = await StreamResampler.create(info.sampleRate, targetRate);
    for (const block of flacFileBlocks(path)) {
      const out = resampler.push(downmix(block.channels));
      if (out.length > 0) yield out;
    }
    const tail = resampler.finish();
    if (tail.length > 0) yield tail;
  } finally {
    resampler?.dispose();
  }
}

async function* blocksOf(x: Float32Array, size: number): AsyncGenerator<Float32Array> {
  for (let off = 0; off < x.length; off += size) yield x.subarray(off, off + size);
}

/**
 * Open `path` for streaming. Errors about the file itself (missing, not audio, truncated WAV,
 * a bad FLAC header, unsupported encoding) are thrown here, before any chunk. A NaN/Inf sample
 * in a WAV, or a corrupt or truncated FLAC frame, is found only when its block is read, so
 * iteration can also throw a UserError.
 */
export async function openSpeechStream(path: string, targetRate: number = CODEC_SAMPLE_RATE): Promise<SpeechStream> {
  // Validate the path exactly as the whole-file loader does (missing, directory, empty).
  await checkInputFile(path);
  const info = await probeAudioFile(path);
  if (info?.container === 'wav') {
    const fd = openSync(path, 'r');
    let layout: WavLayout;
    try {
      layout = readWavLayout(fdSource(fd, fstatSync(fd).size), path);
      if (layout.frameCount === 0) throw new UserError(`no audio samples in ${path}`);
      checkRates(layout.format.sampleRate, targetRate);
      // Float files: find NaN/Inf now (one bounded-memory pass) so that every problem with the
      // input is reported before the caller starts writing output.
      if (layout.format.encoding === 'float') for (const _ of wavBlocks(path, fd, layout)) { /* decode checks */ }
    } finally {
      closeSync(fd);
    }
    return {
      originalRate: layout.format.sampleRate,
      originalChannels: layout.format.channels,
      originalLength: layout.frameCount,
      chunks: wavChunks(path, layout, targetRate),
    };
  }
  if (info?.container === 'flac') {
    const si = readFlacStreamInfo(path);
    checkRates(si.sampleRate, targetRate);
    let length = si.totalSamples;
    if (length === 0) {
      // STREAMINFO does not know the length (a piped encode); the header we write needs it, so
      // count the samples in one bounded-memory pass first (which also finds any corruption).
      for (const block of flacFileBlocks(path)) length += block.channels[0].length;
    }
    if (length === 0) throw new UserError(`no audio samples in ${path}`);
    // Corruption or truncation further in surfaces as a UserError while iterating.
    return { originalRate: si.sampleRate, originalChannels: si.channels, originalLength: length, chunks: flacChunks(path, si, targetRate) };
  }
  // Ogg, MP3 (or unrecognised: decodeAudioFile gives the error): decode whole, then chunk.
  const decoded = await decodeAudioFile(path);
  const samples = await resample(downmix(decoded.channels), decoded.sampleRate, targetRate);
  return {
    originalRate: decoded.sampleRate,
    originalChannels: decoded.channels.length,
    originalLength: decoded.channels[0].length,
    chunks: blocksOf(samples, blockFrames(targetRate)),
  };
}
