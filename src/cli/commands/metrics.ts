import type { Command } from 'commander';
import { NotImplementedError } from '../../errors.js';
import { runAction } from '../run-action.js';

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('score a degraded file against a reference: alignment lag, pSNR, STOI, ESTOI')
    .argument('<reference>', 'reference audio file')
    .argument('<degraded>', 'degraded (decoded) audio file')
    .option('--json', 'print JSON')
    .action(runAction(async () => {
      throw new NotImplementedError('metrics');
    }));
}
