/**
 * One feature job (index or read a training file), run on a worker thread of the feature pool
 * (frame-store.ts) or, with one thread, on the calling thread. Decoding, resampling, the MDCT
 * and the cache CRC are CPU work, so a second thread roughly halves the first pass over a new
 * dataset (issue 6: use both cores for feature extraction).
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { activeFrames, activeRows, fileFeatures } from './features.js';

export interface FeatureJob {
  id: number;
  /** 'index': make sure the cache entry exists and count active frames; 'read': also return them. */
  kind: 'index' | 'read';
  file: string;
  cacheDir: string | null;
}

export interface FeatureJobResult {
  contentHash: string;
  frames: number;
  active: number;
  cached: boolean;
  /** Active frames × bins ('read' only). */
  rows: Float32Array | null;
}

export type FeatureReply =
  | ({ id: number; ok: true } & FeatureJobResult)
  | { id: number; ok: false; error: string; userError: boolean };

export async function runFeatureJob(job: Omit<FeatureJob, 'id'>): Promise<FeatureJobResult> {
  const { features, cached } = await fileFeatures(job.file, { cacheDir: job.cacheDir });
  const mask = activeFrames(features);
  let active = 0;
  for (let j = 0; j < mask.length; j++) active += mask[j];
  return {
    contentHash: features.contentHash,
    frames: features.frames,
    active,
    cached,
    rows: job.kind === 'read' ? activeRows(features, mask) : null,
  };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: FeatureJob) => {
    runFeatureJob(job).then(
      (r) => {
        const reply: FeatureReply = { id: job.id, ok: true, ...r };
        port.postMessage(reply, r.rows ? [r.rows.buffer as ArrayBuffer] : []);
      },
      (err: unknown) => {
        const reply: FeatureReply = { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err), userError: err instanceof UserError };
        port.postMessage(reply);
      },
    );
  });
}
