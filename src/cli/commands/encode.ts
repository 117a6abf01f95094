import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description('encode an audio file (WAV, FLAC, Ogg, MP3) into an nsvq-codec bitstream')
    .argument('<input>', 'input audio file')
    .argument('<output>', 'output bitstream (.bin)')
    .option('-b, --bitrate <rate>', 'bitrate: 8000, 9600, 13200, 16400, 24400 or 32000 (also 8k, 13.2k, ...)', '13200')
    .option('-m, --model <dir>', 'model directory (default: the shipped model)')
    .action(runAction(async () => {
      throw new NotImplementedError('encode');
    }));
}
