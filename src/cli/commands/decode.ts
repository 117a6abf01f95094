import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('decode an nsvq-codec bitstream to a 16-bit PCM WAV file')
    .argument('<input>', 'input bitstream (.bin)')
    .argument('<output>', 'output WAV file')
    .option('-r, --rate <rate>', "output sample rate: '16000' or 'original'", '16000')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .action(runAction(async () => {
      throw new NotImplementedError('decode');
    }));
}
