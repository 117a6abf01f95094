/**
 * Audio bytes in memory to float channels, for pages and workers: WAV and FLAC through the
 * project's own decoders (the same code the CLI runs, so the samples are identical), anything
 * else through a caller-supplied decoder, since only the page has one (the browser's
 * decodeAudioData; there is none in a worker). Resampling and downmixing are left to the caller
 * (audio/resample.ts, audio/downmix.ts), as in the CLI.
 */
import { UserError } from '../errors.js';
import { decodeFlacBytes } from '../audio/flac.js';
import { probeAudio, type ProbedAudio } from '../audio/probe.js';
import { parseWav } from '../audio/wav.js';

export interface DecodedChannels {
  channels: Float32Array[];
  sampleRate: number;
}

/** Decodes formats this module does not (Ogg, MP3); `info` is what probeAudio read from the header. */
export type CompressedDecoder = (bytes: Uint8Array, info: ProbedAudio) => Promise<DecodedChannels>;

/** Whether decodeAudioBytes decodes `bytes` itself (WAV, FLAC) or needs a CompressedDecoder. */
export function decodesNatively(bytes: Uint8Array): boolean {
  const info = probeAudio(bytes.subarray(0, 65536));
  return info !== undefined && (info.container === 'wav' || info.container === 'flac');
}

/**
 * Decode a whole audio file held in memory at its native rate. UserError for unrecognised or
 * corrupt data, no samples, non-finite samples, or a compressed format without `compressed`.
 */
export async function decodeAudioBytes(bytes: Uint8Array, name = 'input', compressed?: CompressedDecoder): Promise<DecodedChannels> {
  const info = probeAudio(bytes.subarray(0, 65536));
  if (!info) throw new UserError(`not a supported audio file: ${name} (unrecognised format; expected WAV, FLAC, Ogg or MP3)`);
  let decoded: DecodedChannels;
  if (info.container === 'wav') {
    decoded = parseWav(bytes, name);
  } else if (info.container === 'flac') {
    const flac = decodeFlacBytes(bytes, name);
    decoded = { channels: flac.channels, sampleRate: flac.info.sampleRate };
  } else if (compressed) {
    decoded = await compressed(bytes, info);
  } else {
    throw new UserError(`${name}: ${info.container} needs the browser's decoder (decode it on the page, not in a worker)`);
  }
  if (decoded.channels.length === 0 || decoded.channels[0].length === 0) throw new UserError(`no audio samples in ${name}`);
  for (const [c, x] of decoded.channels.entries()) {
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) throw new UserError(`invalid audio in ${name}: sample ${i} of channel ${c + 1} is ${x[i]}`);
    }
  }
  return decoded;
}
