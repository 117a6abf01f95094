import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_USER_ERROR } from '../errors.js';
import { registerEncode } from './commands/encode.js';
import { registerDecode } from './commands/decode.js';
import { registerInfo } from './commands/info.js';
import { registerMetrics } from './commands/metrics.js';
import { registerEval } from './commands/eval.js';
import { registerTrain } from './commands/train.js';

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nsvq-codec')
    .description('Wideband speech codec with an NSVQ-trained multi-stage envelope quantizer (8 to 32 kbit/s).')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerEncode(program);
  registerDecode(program);
  registerInfo(program);
  registerMetrics(program);
  registerEval(program);
  registerTrain(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes exit 1 (commander already printed why).
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USER_ERROR;
      return;
    }
    throw err;
  }
}
