import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import { MANY_FILES_HELP, jobsOption, splitPaths } from '../paths.js';

interface EncodeCliOptions {
  bitrate: string;
  model?: string;
  jobs?: number;
}

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description('encode audio (WAV, FLAC, Ogg, MP3) into nsvq-codec bitstreams: one file, several files or whole folders')
    .usage('[options] IN OUT | IN... OUT_DIR | IN_DIR OUT_DIR')
    .argument('<paths...>', 'input files or folders, then the output file or folder')
    .option('-b, --bitrate <rate>', 'bitrate: 8000, 9600, 13200, 16400, 24400 or 32000 (also 8k, 13.2k, ...)', '13200')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .option('-j, --jobs <n>', 'worker threads for several files (default: the cores available)', jobsOption)
    .addHelpText('after', MANY_FILES_HELP('encode', '.bin', 'audio (.wav .flac .ogg .oga .mp3)'))
    .action(runAction(async (paths: string[], opts: EncodeCliOptions) => {
      // Modules are imported per mode, so that a one-file run loads only the codec (start-up).
      const plan = await splitPaths('encode', paths);
      if (plan.single) {
        const { encodeFile } = await import('../encode-file.js');
        await encodeFile(plan.inputs[0], plan.output, opts, { progress: true });
      } else {
        const { runBatch } = await import('../batch-run.js');
        await runBatch('encode', plan.inputs, plan.output, { bitrate: opts.bitrate, rate: '16000', model: opts.model, jobs: opts.jobs });
      }
    }));
}
