import type { Command } from 'commander';
import { runAction } from '../run-action.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the header of an nsvq-codec bitstream (mode, rate, length, model id)')
    .argument('<input>', 'bitstream (.bin)')
    .option('--json', 'print JSON')
    .action(runAction(async (input: string, opts: { json?: boolean }) => {
      const { streamInfo, formatInfo } = await import('../stream-info.js');
      const info = streamInfo(input);
      process.stdout.write(opts.json ? `${JSON.stringify(info, null, 2)}\n` : `${formatInfo(info)}\n`);
    }));
}
