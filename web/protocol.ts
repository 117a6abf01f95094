/** Messages between the demo page (main.ts) and its codec worker (worker.ts). */
import type { Bitrate, MetricResult, WasmKernels } from '../src/web/index.js';

/** Input audio: file bytes the worker decodes itself (WAV, FLAC), or channels the page decoded. */
export type AudioPayload =
  | { kind: 'bytes'; name: string; bytes: Uint8Array }
  | { kind: 'channels'; name: string; channels: Float32Array[]; sampleRate: number };

export type Request =
  | { type: 'encode'; job: number; audio: AudioPayload; bitrate: Bitrate }
  | { type: 'decode'; job: number; name: string; bin: Uint8Array };

export interface CodecResult {
  job: number;
  name: string;
  bitrate: Bitrate;
  /** The input at 16 kHz mono (what was encoded); absent when a .bin was decoded alone. */
  original?: Float32Array;
  originalRate: number;
  /** The .bin stream. */
  bin: Uint8Array;
  /** Decoded 16 kHz samples as the decoder produced them (before 16-bit WAV rounding). */
  decoded: Float32Array;
  /** The decoded WAV file (16-bit, 16 kHz), as `nsvq-codec decode` writes it. */
  wav: Uint8Array;
  /** Scores of the decoded WAV against the original, as `nsvq-codec metrics` computes them. */
  scores?: MetricResult;
  /** Why there are no scores for an encoded input (e.g. too short for STOI or PESQ). */
  scoreError?: string;
  modelId: string;
  encodeMs?: number;
  decodeMs: number;
  scoreMs?: number;
}

export type Reply =
  | { type: 'ready'; modelId: string; wasm: WasmKernels }
  | { type: 'progress'; job: number; stage: 'decoding input' | 'encoding' | 'decoding' | 'scoring'; fraction: number }
  | { type: 'done'; result: CodecResult }
  | { type: 'error'; job: number; message: string };
