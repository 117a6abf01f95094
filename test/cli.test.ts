import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runCli } from './helpers/cli.js';

describe('nsvq-codec CLI skeleton', () => {
  it('prints help listing every subcommand, exit 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['encode', 'decode', 'info', 'metrics', 'eval', 'train']) {
      expect(r.stdout).toContain(c);
    }
  });

  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('rejects an unknown command with exit 1 and no stack trace', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown command');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
