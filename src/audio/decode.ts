/**
 * Decode an audio file to float channels at its native sample rate.
 *
 * WAV goes through our own strict parser (wav.ts) and FLAC through our own decoder (flac.ts,
 * the same one the streaming reader uses, so there is one FLAC path). Ogg (Vorbis, Opus, FLAC)
 * and MP3 go through node-web-audio-api's decodeAudioData, whole (it has no incremental API),
 * with the OfflineAudioContext created at the file's native rate read from its header
 * (probe.ts), because decodeAudioData resamples to the context rate without anti-aliasing.
 * Resampling is left to resample.ts.
 */
import { promises as fs } from 'node:fs';
import { UserError } from '../errors.js';
import { parseWav } from './wav.js';
import { decodeFlacFile } from './flac-file.js';
import { probeAudioFile } from './probe-file.js';
import type { ProbedAudio } from './probe.js';

export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
}

/** Check that `path` is a readable, non-empty regular file; one-line UserErrors otherwise. */
export async function checkInputFile(path: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`no such file: ${path}`);
    if (code === 'EACCES') throw new UserError(`permission denied: ${path}`);
    throw err;
  }
  if (stat.isDirectory()) throw new UserError(`is a directory, not an audio file: ${path}`);
  if (!stat.isFile()) throw new UserError(`not a regular file: ${path}`);
  if (stat.size === 0) throw new UserError(`empty file: ${path}`);
  try {
    await (await fs.open(path, 'r')).close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new UserError(`permission denied: ${path}`);
    throw err;
  }
}

/** Read a whole input file, turning file-system errors into one-line UserErrors. */
export async function readInputFile(path: string): Promise<Uint8Array> {
  await checkInputFile(path);
  try {
    return await fs.readFile(path); // a Buffer is a Uint8Array: no copy
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new UserError(`permission denied: ${path}`);
    throw err;
  }
}

/** Reject NaN/Inf anywhere, naming the first bad sample. */
export function assertFinite(channels: Float32Array[], name: string): void {
  for (let c = 0; c < channels.length; c++) {
    const x = channels[c];
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new UserError(`invalid audio in ${name}: sample ${i} of channel ${c + 1} is ${x[i]} (NaN/Inf)`);
      }
    }
  }
}

/** The slice of node-web-audio-api we use. Typed locally: its own typings pull the DOM lib into the program. */
interface DecodedBuffer { sampleRate: number; length: number; numberOfChannels: number; getChannelData(c: number): Float32Array }
interface WebAudioModule {
  OfflineAudioContext: new (channels: number, length: number, sampleRate: number) => {
    decodeAudioData(data: ArrayBuffer): Promise<DecodedBuffer>;
  };
}

let webAudio: Promise<WebAudioModule> | undefined;
/** Load the native decoder lazily: WAV-only runs never need it. */
function loadWebAudio(): Promise<WebAudioModule> {
  const specifier = 'node-web-audio-api';
  webAudio ??= import(specifier) as Promise<WebAudioModule>;
  return webAudio;
}

const CONTAINER_NAMES: Record<ProbedAudio['container'], string> = {
  wav: 'WAV', flac: 'FLAC', 'ogg-flac': 'Ogg FLAC', 'ogg-vorbis': 'Ogg Vorbis', 'ogg-opus': 'Ogg Opus', mp3: 'MP3',
};

/** Decode a compressed file with node-web-audio-api at its native rate. */
async function decodeCompressed(bytes: Uint8Array, info: ProbedAudio, path: string): Promise<DecodedAudio> {
  const kind = CONTAINER_NAMES[info.container];
  // decodeAudioData takes ownership of (detaches) its ArrayBuffer. `bytes` is ours and unused
  // after this call, so hand over its buffer when it spans exactly the file; otherwise copy.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const copy = whole ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  const { OfflineAudioContext } = await loadWebAudio();
  let buffer: DecodedBuffer;
  try {
    const ctx = new OfflineAudioContext(1, 1, info.sampleRate);
    buffer = await ctx.decodeAudioData(copy);
  } catch (err) {
    const raw = (err instanceof Error ? err.message : String(err)).replace(/^Failed to execute 'decodeAudioData':\s*/, '');
    const why = /unsupported codec/.test(raw)
      ? `${kind} is not supported by the decoder; convert it to WAV or FLAC`
      : `${kind} decoder failed: ${raw.replace(/\s+/g, ' ')}`;
    throw new UserError(`not a supported audio file: ${path} (${why})`);
  }
  if (buffer.sampleRate !== info.sampleRate) {
    throw new Error(`decodeAudioData returned ${buffer.sampleRate} Hz for a ${info.sampleRate} Hz context`);
  }
  if (info.totalFrames !== undefined && buffer.length < info.totalFrames) {
    // The decoder stops quietly at a cut; the FLAC header knows the true length.
    throw new UserError(`truncated ${kind} file: ${path}: expected ${info.totalFrames} samples per channel, decoded ${buffer.length}`);
  }
  const channels: Float32Array[] = [];
  for (let c = 0; c < buffer.numberOfChannels; c++) channels.push(Float32Array.from(buffer.getChannelData(c)));
  return { channels, sampleRate: buffer.sampleRate };
}

/**
 * Decode `path` at its native rate. UserError for a missing/empty/unreadable file, a directory,
 * anything that is not decodable audio, a truncated file, an unsupported encoding, NaN/Inf
 * samples, or a file with no samples at all.
 */
export async function decodeAudioFile(path: string): Promise<DecodedAudio> {
  await checkInputFile(path);
  const info = await probeAudioFile(path);
  if (!info) {
    throw new UserError(`not a supported audio file: ${path} (unrecognised format; expected WAV, FLAC, Ogg Vorbis or MP3)`);
  }
  let decoded: DecodedAudio;
  if (info.container === 'flac') {
    const flac = decodeFlacFile(path);
    decoded = { channels: flac.channels, sampleRate: flac.info.sampleRate };
  } else {
    const bytes = await readInputFile(path);
    decoded = info.container === 'wav' ? parseWav(bytes, path) : await decodeCompressed(bytes, info, path);
  }
  if (decoded.channels.length === 0 || decoded.channels[0].length === 0) {
    throw new UserError(`no audio samples in ${path}`);
  }
  assertFinite(decoded.channels, path);
  return { channels: decoded.channels, sampleRate: decoded.sampleRate };
}
