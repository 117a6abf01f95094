import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** `../shared` beside the checkout: present on developer machines and in CI, absent on a user's clone. */
export const SHARED_DIR = process.env.NSVQ_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared');
export const HAVE_SHARED = existsSync(path.join(SHARED_DIR, 'speech'));
export const SPEECH_DIR = path.join(SHARED_DIR, 'speech');
export const REFERENCE_DIR = path.join(SHARED_DIR, 'reference');

/** Print once why a shared-data suite is skipped, so a skip is never silent. */
export function noteSkip(suite: string): void {
  if (!HAVE_SHARED) {
    process.stderr.write(`[skip] ${suite}: ../shared/speech not found (set NSVQ_SHARED_DIR to run it)\n`);
  }
}
