import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import { MANY_FILES_HELP, jobsOption, splitPaths } from '../paths.js';

interface DecodeCliOptions {
  rate: string;
  model?: string;
  jobs?: number;
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode nsvq-codec bitstreams to 16-bit PCM WAV: one file, several files or whole folders')
    .usage('[options] IN OUT | IN... OUT_DIR | IN_DIR OUT_DIR')
    .argument('<paths...>', 'input bitstreams (.bin) or folders, then the output file or folder')
    .option('-r, --rate <rate>', "output sample rate: '16000' or 'original'", '16000')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .option('-j, --jobs <n>', 'worker threads for several files (default: the cores available)', jobsOption)
    .addHelpText('after', MANY_FILES_HELP('decode', '.wav', '.bin'))
    .action(runAction(async (paths: string[], opts: DecodeCliOptions) => {
      // Modules are imported per mode, so that a one-file run loads only the codec (start-up).
      const plan = await splitPaths('decode', paths);
      if (plan.single) {
        const { decodeFile } = await import('../decode-file.js');
        await decodeFile(plan.inputs[0], plan.output, opts, { progress: true });
      } else {
        const { runBatch } = await import('../batch-run.js');
        await runBatch('decode', plan.inputs, plan.output, { bitrate: '13200', rate: opts.rate, model: opts.model, jobs: opts.jobs });
      }
    }));
}
