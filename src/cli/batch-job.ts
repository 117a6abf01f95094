/**
 * One file of a folder run, the same in a worker thread and in the main thread (--jobs 1): the
 * model is loaded once per thread, and an error becomes a failure record instead of ending the run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadModel, type CodecModel } from '../model/codec-model.js';
import type { BatchFailure, BatchKind } from './batch-plan.js';
import type { DecodeOptions } from './decode-file.js';
import type { EncodeOptions } from './encode-file.js';

/** The command options a folder run hands to every file. */
export interface BatchJobOptions {
  bitrate: string;
  rate: string;
  model?: string;
}

export class BatchJobRunner {
  private model: CodecModel | null = null;

  constructor(
    private readonly kind: BatchKind,
    private readonly opts: BatchJobOptions,
  ) {}

  /** Encode or decode one file; null on success, else why it failed (its output is not written). */
  async run(input: string, output: string): Promise<Omit<BatchFailure, 'label'> | null> {
    try {
      this.model ??= loadModel(this.opts.model);
      mkdirSync(path.dirname(output), { recursive: true });
      if (this.kind === 'encode') {
        const { encodeFile } = await import('./encode-file.js');
        const o: EncodeOptions = { bitrate: this.opts.bitrate, model: this.opts.model };
        await encodeFile(input, output, o, { model: this.model });
      } else {
        const { decodeFile } = await import('./decode-file.js');
        const o: DecodeOptions = { rate: this.opts.rate, model: this.opts.model };
        await decodeFile(input, output, o, { model: this.model });
      }
      return null;
    } catch (err) {
      if (err instanceof UserError) return { message: err.message };
      const code = (err as NodeJS.ErrnoException)?.code;
      // File-system refusals on the output side are the user's to fix, not bugs.
      if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
        return { message: `cannot write ${output}: ${code}` };
      }
      return { message: `internal error: ${(err as Error)?.stack ?? String(err)}`, internal: true };
    }
  }
}
