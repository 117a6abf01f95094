import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the header of an nsvq-codec bitstream (mode, rate, length, model id)')
    .argument('<input>', 'bitstream (.bin)')
    .option('--json', 'print JSON')
    .action(runAction(async () => {
      throw new NotImplementedError('info');
    }));
}
