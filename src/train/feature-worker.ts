/**
 * One feature job (index or read a training file), run on a worker thread of the feature pool
 * (frame-store.ts) or, with one thread, on the calling thread. Decoding, resampling, the MDCT
 * and the cache CRC are CPU work that a second thread can share (issue 6: use both cores for
 * feature extraction).
 *
 * Each cache entry gets a small sidecar (`<entry>.active.json`: frame and active-frame counts and
 * the activity rule), so indexing an already cached file reads and hashes the audio file but
 * not its features: for 100 h that skips reading ≈ 23 GB of entries at every start or resume.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { activeFrames, activeRows, featureCacheEntry, fileFeatures } from './features.js';

/** Names the activity rule (features.ts `activeFrames` with its defaults); sidecars of another rule are ignored. */
const ACTIVE_RULE = 'energy>max-60dB,floor=3.2e-5;v1';

interface ActiveSidecar {
  rule: string;
  frames: number;
  active: number;
}

function sidecarOf(entry: string): string {
  return `${entry}.active.json`;
}

function readSidecar(file: string): ActiveSidecar | null {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<ActiveSidecar>;
    const ok = s.rule === ACTIVE_RULE && Number.isInteger(s.frames) && Number.isInteger(s.active) && s.active! >= 0 && s.active! <= s.frames!;
    return ok ? (s as ActiveSidecar) : null;
  } catch {
    return null;
  }
}

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
  if (job.kind === 'index' && job.cacheDir !== null) {
    try {
      const contentHash = createHash('sha256').update(readFileSync(job.file)).digest('hex');
      const entry = featureCacheEntry(job.cacheDir, contentHash);
      const side = readSidecar(sidecarOf(entry));
      if (side && existsSync(entry)) return { contentHash, frames: side.frames, active: side.active, cached: true, rows: null };
    } catch {
      // Unreadable file: the full path below reports it properly.
    }
  }
  const { features, cached } = await fileFeatures(job.file, { cacheDir: job.cacheDir });
  const mask = activeFrames(features);
  let active = 0;
  for (let j = 0; j < mask.length; j++) active += mask[j];
  if (job.kind === 'index' && job.cacheDir !== null) {
    const side: ActiveSidecar = { rule: ACTIVE_RULE, frames: features.frames, active };
    await writeFileAtomic(sidecarOf(featureCacheEntry(job.cacheDir, features.contentHash)), JSON.stringify(side));
  }
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
