/**
 * Identify a compressed audio file and read its native sample rate from the header.
 *
 * Why: node-web-audio-api's decodeAudioData resamples to its context's rate with no
 * anti-aliasing (issue 2: a 12 kHz tone in a 48 kHz file came out of a 16 kHz context at
 * −2 dB, aliased to 4 kHz). So the decoder context must run at the file's own rate, and we
 * must know that rate before decoding. (FLAC itself is decoded by our own flac.ts, which reads
 * STREAMINFO again in full; the probe only tells the formats apart.)
 *
 * This module works on bytes in memory (no Node built-ins: the browser entry uses it);
 * probe-file.ts reads a file's head.
 */
import { streamInfoFields } from './flac.js';

export type AudioContainer = 'wav' | 'flac' | 'ogg-flac' | 'ogg-vorbis' | 'ogg-opus' | 'mp3';

export interface ProbedAudio {
  container: AudioContainer;
  /** Rate the decoder produces natively (Opus always decodes at 48 kHz, RFC 7845 §5.1); 0 for WAV (the parser reads it). */
  sampleRate: number;
  channels?: number;
  /** Total samples per channel when the header states it (FLAC STREAMINFO), else undefined. */
  totalFrames?: number;
}

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && off + i < b.length; i++) s += String.fromCharCode(b[off + i]);
  return s;
}

/** Size of an ID3v2 tag at `off` (header + body + footer), or 0 when there is none. */
export function id3v2Size(b: Uint8Array, off: number): number {
  if (ascii(b, off, 3) !== 'ID3' || off + 10 > b.length) return 0;
  const flags = b[off + 5];
  // Sync-safe 28-bit size (ID3v2.4 §3.1).
  const size = ((b[off + 6] & 0x7f) << 21) | ((b[off + 7] & 0x7f) << 14) | ((b[off + 8] & 0x7f) << 7) | (b[off + 9] & 0x7f);
  return 10 + size + (flags & 0x10 ? 10 : 0);
}

/** FLAC STREAMINFO at `off` (pointing at 'fLaC'). */
function flacStreamInfo(b: Uint8Array, off: number): { sampleRate: number; channels: number; totalFrames?: number } | undefined {
  // 'fLaC', block header (1 byte type, 3 bytes length), then STREAMINFO (RFC 9639 §8.2).
  if (ascii(b, off, 4) !== 'fLaC' || (b[off + 4] & 0x7f) !== 0 || off + 8 + 18 > b.length) return undefined;
  const { sampleRate, channels, totalSamples } = streamInfoFields(b, off + 8);
  if (sampleRate === 0) return undefined;
  return { sampleRate, channels, totalFrames: totalSamples > 0 ? totalSamples : undefined };
}

/** First packet of the first Ogg page (RFC 3533 §6). */
function oggFirstPacket(b: Uint8Array): Uint8Array | undefined {
  if (ascii(b, 0, 4) !== 'OggS' || b.length < 27) return undefined;
  const nSeg = b[26];
  if (27 + nSeg > b.length) return undefined;
  let len = 0;
  for (let i = 0; i < nSeg; i++) {
    len += b[27 + i];
    if (b[27 + i] < 255) break;
  }
  const start = 27 + nSeg;
  return b.subarray(start, Math.min(b.length, start + len));
}

// MPEG audio sample rates by version (index 0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1) and rate index.
const MPEG_RATES: Record<number, number[]> = { 0: [11025, 12000, 8000], 2: [22050, 24000, 16000], 3: [44100, 48000, 32000] };
const MPEG_BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG_BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

interface MpegHeader { sampleRate: number; channels: number; frameBytes: number }

function mpegHeaderAt(b: Uint8Array, p: number): MpegHeader | undefined {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return undefined;
  const version = (b[p + 1] >> 3) & 3;
  const layer = (b[p + 1] >> 1) & 3;
  const bitrateIndex = b[p + 2] >> 4;
  const rateIndex = (b[p + 2] >> 2) & 3;
  if (version === 1 || layer !== 1 /* Layer III */ || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const sampleRate = MPEG_RATES[version][rateIndex];
  const padding = (b[p + 2] >> 1) & 1;
  const kbps = (version === 3 ? MPEG_BITRATES_V1_L3 : MPEG_BITRATES_V2_L3)[bitrateIndex];
  const samplesPerFrame = version === 3 ? 1152 : 576;
  const frameBytes = Math.floor((samplesPerFrame / 8) * kbps * 1000 / sampleRate) + padding;
  const channels = (b[p + 3] >> 6) === 3 ? 1 : 2;
  return { sampleRate, channels, frameBytes };
}

/** First MPEG Layer III frame whose successor frame also parses (guards against false syncs). */
function mp3Info(b: Uint8Array, start: number): MpegHeader | undefined {
  const limit = Math.min(b.length - 4, start + 65536);
  for (let p = start; p < limit; p++) {
    const h = mpegHeaderAt(b, p);
    if (!h) continue;
    const next = p + h.frameBytes;
    if (next + 4 > b.length) return h; // a single-frame file
    const h2 = mpegHeaderAt(b, next);
    if (h2 && h2.sampleRate === h.sampleRate) return h;
  }
  return undefined;
}

/**
 * Identify the container of `head` (the first bytes of a file; 64 KiB or more recommended) and
 * its native rate. Returns undefined for anything we do not recognise.
 */
export function probeAudio(head: Uint8Array): ProbedAudio | undefined {
  const magic = ascii(head, 0, 4);
  // RIFX/RF64 go to the WAV parser too, which names them in its error.
  if ((magic === 'RIFF' || magic === 'RIFX' || magic === 'RF64') && ascii(head, 8, 4) === 'WAVE') {
    return { container: 'wav', sampleRate: 0 };
  }
  if (magic === 'OggS') {
    const p = oggFirstPacket(head);
    if (!p) return undefined;
    if (p[0] === 0x01 && ascii(p, 1, 6) === 'vorbis' && p.length >= 16) {
      // Vorbis I identification header: version(4), channels(1), rate(4 LE) (Vorbis I spec §4.2.2).
      const rate = (p[12] | (p[13] << 8) | (p[14] << 16)) + p[15] * 0x1000000;
      return rate > 0 ? { container: 'ogg-vorbis', sampleRate: rate, channels: p[11] } : undefined;
    }
    if (ascii(p, 0, 8) === 'OpusHead' && p.length >= 19) {
      return { container: 'ogg-opus', sampleRate: 48000, channels: p[9] };
    }
    if (p[0] === 0x7f && ascii(p, 1, 4) === 'FLAC') {
      // Ogg FLAC mapping: 0x7F 'FLAC' major minor count(2) then the native 'fLaC' + STREAMINFO.
      const info = flacStreamInfo(p, 9);
      return info ? { container: 'ogg-flac', ...info } : undefined;
    }
    return undefined;
  }
  const skip = id3v2Size(head, 0);
  if (ascii(head, skip, 4) === 'fLaC') {
    const info = flacStreamInfo(head, skip);
    return info ? { container: 'flac', ...info } : undefined;
  }
  const mp3 = mp3Info(head, skip);
  if (mp3) return { container: 'mp3', sampleRate: mp3.sampleRate, channels: mp3.channels };
  return undefined;
}
