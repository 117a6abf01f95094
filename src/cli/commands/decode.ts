import type { Command } from 'commander';
import { runAction } from '../run-action.js';
import { MANY_FILES_HELP, jobsOption, splitPaths } from '../paths.js';
import type { LossCliOptions } from '../loss-options.js';

interface DecodeCliOptions extends LossCliOptions {
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
    .option('--loss-rate <rate>', 'simulate packet loss (one input file): lose this fraction of frames (e.g. 0.1 or 10%) and conceal them')
    .option('--loss-seed <n>', 'seed of the simulated loss pattern (default 1)')
    .option('--loss-burst <frames>', 'bursty loss (Gilbert model) with this mean burst length, at --loss-rate overall')
    .option('--lost-frames <file>', 'conceal the frames listed in this file (0-based indices or ranges A-B; # comments)')
    .addHelpText('after', MANY_FILES_HELP('decode', '.wav', '.bin'))
    .action(runAction(async (paths: string[], opts: DecodeCliOptions) => {
      // Modules are imported per mode, so that a one-file run loads only the codec (start-up).
      const plan = await splitPaths('decode', paths);
      const lossAsked = opts.lossRate !== undefined || opts.lossBurst !== undefined || opts.lossSeed !== undefined || opts.lostFrames !== undefined;
      if (plan.single) {
        const { decodeFile } = await import('../decode-file.js');
        const { header, lost } = await decodeFile(plan.inputs[0], plan.output, opts, { progress: true });
        if (lost) {
          const { maskStats } = await import('../../codec/loss-pattern.js');
          const s = maskStats(lost);
          process.stderr.write(`nsvq-codec: concealed ${s.lost} of ${header.frameCount} frames (${s.bursts} bursts, longest ${s.longestBurst})\n`);
        }
      } else {
        if (lossAsked) {
          const { UserError } = await import('../../errors.js');
          throw new UserError('the packet-loss options (--loss-rate, --loss-burst, --loss-seed, --lost-frames) take one input file');
        }
        const { runBatch } = await import('../batch-run.js');
        await runBatch('decode', plan.inputs, plan.output, { bitrate: '13200', rate: opts.rate, model: opts.model, jobs: opts.jobs });
      }
    }));
}
