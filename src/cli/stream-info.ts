/**
 * `info`: the header fields of a bitstream, as text or JSON.
 */
import { frameBytes } from '../coding/modes.js';
import { codedLength } from '../coding/container.js';
import { openStreamFile } from './stream-file.js';

export interface StreamInfo {
  version: number;
  bitrate: number;
  originalRate: number;
  originalLength: number;
  codedSamples: number;
  durationSeconds: number;
  frameCount: number;
  frameBytes: number;
  fileBytes: number;
  modelId: string;
}

export function streamInfo(path: string): StreamInfo {
  const f = openStreamFile(path);
  try {
    const h = f.header;
    return {
      version: h.version,
      bitrate: h.bitrate,
      originalRate: h.originalRate,
      originalLength: h.originalLength,
      codedSamples: codedLength(h.originalLength, h.originalRate),
      durationSeconds: h.originalLength / h.originalRate,
      frameCount: h.frameCount,
      frameBytes: frameBytes(h.bitrate),
      fileBytes: f.size,
      modelId: h.modelId,
    };
  } finally {
    f.close();
  }
}

export function formatInfo(i: StreamInfo): string {
  return [
    `format version: ${i.version}`,
    `bitrate:        ${i.bitrate} bit/s`,
    `original rate:  ${i.originalRate} Hz`,
    `length:         ${i.originalLength} samples at ${i.originalRate} Hz (${i.durationSeconds.toFixed(3)} s; ${i.codedSamples} coded at 16 kHz)`,
    `frames:         ${i.frameCount} × ${i.frameBytes} bytes (${i.fileBytes} bytes with the header)`,
    `model id:       ${i.modelId}`,
  ].join('\n');
}
