/**
 * Paths as reports and model cards name them: relative to the working directory and
 * '/'-separated, so that committed files carry no absolute path of the machine that made them.
 */
import path from 'node:path';

export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), path.resolve(p));
  return (rel === '' ? '.' : rel).split(path.sep).join('/');
}
