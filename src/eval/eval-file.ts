/**
 * Evaluate one file against every system and bitrate: load at 16 kHz, round-trip
 * (encodeSpeech → decodeSpeech, or an external command), score with scorePair. Runs inside a
 * worker thread (eval-worker.ts) or in the main thread when --jobs 1.
 *
 * A failure loading the file is one error for the file; a failure at one system × rate is an
 * error for that cell only, and the other cells are still scored.
 */
import { loadSpeech } from '../audio/load.js';
import { encodeSpeech, decodeSpeech } from '../codec/codec.js';
import type { Bitrate } from '../coding/modes.js';
import { loadModel, type CodecModel } from '../model/codec-model.js';
import { UserError } from '../errors.js';
import { scorePair } from './metrics.js';
import { externalRoundTrip } from './external-codec.js';
import type { EvalError, EvalRow } from './report.js';
import type { AudioFileRef } from '../audio/scan.js';
import { lossMask, type LossSpec } from '../codec/loss-pattern.js';
import { readHeader } from '../coding/container.js';

export const EVAL_SAMPLE_RATE = 16000;

/**
 * Simulated packet loss of a model system (`eval --loss`, issue 14): random at `rate`, or Gilbert
 * bursts of mean length `meanBurst`. Each file's pattern is seeded with `seed` and the file's
 * path, so files get different but reproducible patterns.
 */
export interface EvalLoss {
  rate: number;
  meanBurst?: number;
  seed: number;
}

/** A system as the workers need it (plain data: it crosses the worker boundary). */
export type SystemConfig =
  | { kind: 'model'; name: string; id: string; dir?: string; loss?: EvalLoss }
  | { kind: 'external'; name: string; command: string };

/** FNV-1a of a string (32 bits): mixes a file's path into its loss seed. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The loss pattern spec of one file under `loss`. */
export function fileLossSpec(loss: EvalLoss, fileRel: string): LossSpec {
  const seed = (loss.seed ^ fnv1a(fileRel)) >>> 0;
  return loss.meanBurst !== undefined ? { kind: 'burst', rate: loss.rate, meanBurst: loss.meanBurst, seed } : { kind: 'random', rate: loss.rate, seed };
}

export interface EvalJobConfig {
  systems: SystemConfig[];
  bitrates: Bitrate[];
  /** Kill an external command after this long. */
  externalTimeoutMs?: number;
}

export interface FileResult {
  rows: EvalRow[];
  errors: EvalError[];
}

/** One line, no stack, for the report; bugs are marked so they are not mistaken for bad input. */
export function errorMessage(err: unknown): string {
  if (err instanceof UserError) return err.message;
  if (err instanceof Error) return `internal error: ${err.name}: ${err.message}`;
  return `internal error: ${String(err)}`;
}

export class FileEvaluator {
  private readonly models = new Map<string, CodecModel>();

  constructor(private readonly cfg: EvalJobConfig) {}

  private model(sys: Extract<SystemConfig, { kind: 'model' }>): CodecModel {
    let m = this.models.get(sys.name);
    if (!m) {
      m = loadModel(sys.dir);
      if (m.id !== sys.id) throw new UserError(`model '${sys.name}' changed during the run (id ${m.id}, expected ${sys.id})`);
      this.models.set(sys.name, m);
    }
    return m;
  }

  /** Number of round trips per file (progress units). */
  get stepsPerFile(): number {
    return this.cfg.systems.length * this.cfg.bitrates.length;
  }

  async evaluate(file: AudioFileRef, onStep?: () => void): Promise<FileResult> {
    const rows: EvalRow[] = [];
    const errors: EvalError[] = [];
    let ref: Float32Array;
    let originalRate: number;
    try {
      const s = await loadSpeech(file.path, EVAL_SAMPLE_RATE);
      ref = s.samples;
      originalRate = s.originalRate;
    } catch (err) {
      errors.push({ file: file.rel, message: errorMessage(err) });
      for (let i = 0; i < this.stepsPerFile; i++) onStep?.();
      return { rows, errors };
    }
    const seconds = ref.length / EVAL_SAMPLE_RATE;
    // One encoding per model × rate, shared by its loss variants (same model id).
    const streams = new Map<string, Uint8Array>();
    for (const sys of this.cfg.systems) {
      for (const bitrate of this.cfg.bitrates) {
        const t0 = performance.now();
        try {
          let decoded: Float32Array;
          let modelId: string;
          if (sys.kind === 'model') {
            const model = this.model(sys);
            const key = `${model.id} ${bitrate}`;
            let bytes = streams.get(key);
            if (!bytes) {
              bytes = encodeSpeech(model, ref, bitrate, originalRate);
              streams.set(key, bytes);
            }
            const lost = sys.loss ? lossMask(fileLossSpec(sys.loss, file.rel), readHeader(bytes).header.frameCount) : undefined;
            decoded = decodeSpeech(model, bytes, lost).samples;
            modelId = model.id;
          } else {
            decoded = await externalRoundTrip(sys, ref, bitrate, { timeoutMs: this.cfg.externalTimeoutMs, sampleRate: EVAL_SAMPLE_RATE });
            modelId = '';
          }
          const m = scorePair(ref, decoded, EVAL_SAMPLE_RATE);
          rows.push({
            file: file.rel, model: sys.name, modelId, bitrate,
            lag: m.lag, pesq: m.pesq, psnr: m.psnr, stoi: m.stoi, estoi: m.estoi,
            seconds, elapsed: (performance.now() - t0) / 1000,
          });
        } catch (err) {
          errors.push({ file: file.rel, model: sys.name, bitrate, message: errorMessage(err) });
        }
        onStep?.();
      }
    }
    return { rows, errors };
  }
}
