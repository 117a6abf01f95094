import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the envelope quantizer end to end with NSVQ on LibriSpeech or any audio folder')
    .requiredOption('-d, --data <dirs...>', 'training data folders')
    .requiredOption('-o, --out <dir>', 'model output folder')
    .action(runAction(async () => {
      throw new NotImplementedError('train');
    }));
}
