/**
 * Encode a signal one hop per push (so each push yields at most one frame and the encoder's
 * recorded fields are that frame's) and return every frame with the fields the encoder wrote.
 */
import { Encoder } from '../../src/codec/encoder.js';
import type { EncoderSettings } from '../../src/codec/encoder.js';
import type { FrameFields } from '../../src/coding/frame-shape.js';
import type { Bitrate } from '../../src/coding/modes.js';
import type { CodecModel } from '../../src/model/model-format.js';

export function encodeWithFields(model: CodecModel, bitrate: Bitrate, x: Float32Array, settings: EncoderSettings = {}): { frames: Uint8Array[]; fields: FrameFields[] } {
  const enc = new Encoder(model, bitrate, settings);
  enc.frameEncoder.recordFields = true;
  const frames: Uint8Array[] = [];
  const fields: FrameFields[] = [];
  const keep = (f: Uint8Array): void => {
    frames.push(f);
    fields.push(enc.frameEncoder.last!);
  };
  for (let i = 0; i < x.length; i += 320) for (const f of enc.push(x.subarray(i, i + 320))) keep(f);
  for (const f of enc.flush()) keep(f);
  return { frames, fields };
}
