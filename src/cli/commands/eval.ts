import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('encode, decode and score a dataset at every bitrate; write JSON, Markdown, CSV and SVG reports')
    .requiredOption('-d, --data <dir>', 'folder of audio files (scanned recursively)')
    .requiredOption('-o, --out <dir>', 'report folder')
    .action(runAction(async () => {
      throw new NotImplementedError('eval');
    }));
}
