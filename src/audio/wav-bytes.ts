/**
 * 16-bit PCM WAV bytes in memory (no Node built-ins: the browser entry builds its downloads
 * with it); wav-write.ts writes the same bytes to files.
 */
import { UserError } from '../errors.js';

export const WAV16_HEADER_BYTES = 44;
/** RIFF sizes are 32-bit: the RIFF chunk (36 + data) must fit. */
export const MAX_DATA_BYTES = 0xffffffff - 36;

/** Canonical 44-byte header for mono 16-bit PCM with `dataBytes` of audio. */
export function wav16Header(sampleRate: number, dataBytes: number, channels = 1): Uint8Array {
  const h = new Uint8Array(WAV16_HEADER_BYTES);
  const v = new DataView(h.buffer);
  const ascii = (off: number, s: string) => { for (let i = 0; i < s.length; i++) h[off + i] = s.charCodeAt(i); };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // WAVE_FORMAT_PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return h;
}

/**
 * Float samples → little-endian int16 bytes: clip to [-1, 1], scale by 32768 (the reader's
 * divisor, so k/32768 round-trips exactly), round to nearest, and clamp +1.0 to 32767.
 */
export function encodePcm16(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    let s = samples[i];
    // NaN would otherwise become 0 silently; treat it as a bug upstream.
    if (Number.isNaN(s)) throw new Error(`writeWav16: sample ${i} is NaN`);
    s = s > 1 ? 1 : s < -1 ? -1 : s;
    const q = Math.round(s * 32768);
    v.setInt16(2 * i, q > 32767 ? 32767 : q, true);
  }
  return out;
}

export function checkRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0x7fffffff / 2) {
    throw new UserError(`cannot write WAV at sample rate ${sampleRate}`);
  }
}

/** A complete mono 16-bit PCM WAV file of `samples` (see encodePcm16 for the rounding). */
export function wav16File(samples: Float32Array, sampleRate: number): Uint8Array {
  checkRate(sampleRate);
  const dataBytes = samples.length * 2;
  if (dataBytes > MAX_DATA_BYTES) throw new UserError(`output too long for a WAV file: ${samples.length} samples`);
  const file = new Uint8Array(WAV16_HEADER_BYTES + dataBytes);
  file.set(wav16Header(sampleRate, dataBytes), 0);
  file.set(encodePcm16(samples), WAV16_HEADER_BYTES);
  return file;
}
