import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './helpers/cli.js';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { serializeModel } from '../src/model/codec-model.js';
import { writeWav16 } from '../src/audio/wav-write.js';

/** Every file under dir, '/'-separated and relative, hidden (temporary) files included. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else out.push(r);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** Folder and several-files mode of encode/decode, end to end through the built CLI. */
describe('encode / decode over folders and several files', () => {
  let dir = '';
  let modelDir = '';
  let input = '';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nsvq-folders-'));
    modelDir = path.join(dir, 'model');
    mkdirSync(modelDir);
    const { id: _id, ...rest } = buildSyntheticModel();
    writeFileSync(path.join(modelDir, 'model.nsvqm'), serializeModel(rest));
    input = path.join(dir, 'in');
    mkdirSync(path.join(input, 'spk1', 'ch1'), { recursive: true });
    mkdirSync(path.join(input, 'spk2'), { recursive: true });
    await writeWav16(path.join(input, 'spk1', 'ch1', 'a.wav'), syntheticSpeechLike(0.6, 1), 16000);
    await writeWav16(path.join(input, 'spk1', 'ch1', 'b.wav'), syntheticSpeechLike(0.4, 2), 22050);
    await writeWav16(path.join(input, 'spk2', 'c.wav'), syntheticSpeechLike(0.5, 3), 16000);
    writeFileSync(path.join(input, 'spk2', 'notes.txt'), 'not audio, not picked up');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the folder layout both ways, with 1 and 2 jobs, and exits 0', () => {
    for (const jobs of ['1', '2']) {
      const bins = path.join(dir, `bins${jobs}`);
      const wavs = path.join(dir, `wavs${jobs}`);
      let r = runCli(['encode', input, bins, '--bitrate', '9.6k', '--model', modelDir, '--jobs', jobs]);
      expect(r.code, r.stderr).toBe(0);
      expect(tree(bins)).toEqual(['spk1/ch1/a.bin', 'spk1/ch1/b.bin', 'spk2/c.bin']);
      expect(r.stderr).toMatch(/encoded 3 of 3 files/);
      r = runCli(['decode', bins, wavs, '--model', modelDir, '--jobs', jobs]);
      expect(r.code, r.stderr).toBe(0);
      expect(tree(wavs)).toEqual(['spk1/ch1/a.wav', 'spk1/ch1/b.wav', 'spk2/c.wav']);
    }
    // Same bytes whatever the number of jobs, and the same as the one-file command.
    for (const rel of ['spk1/ch1/a.bin', 'spk1/ch1/b.bin', 'spk2/c.bin']) {
      expect(readFileSync(path.join(dir, 'bins1', rel)).equals(readFileSync(path.join(dir, 'bins2', rel)))).toBe(true);
    }
    const single = path.join(dir, 'single-b.bin');
    expect(runCli(['encode', path.join(input, 'spk1', 'ch1', 'b.wav'), single, '--bitrate', '9.6k', '--model', modelDir]).code).toBe(0);
    expect(readFileSync(single).equals(readFileSync(path.join(dir, 'bins1', 'spk1/ch1/b.bin')))).toBe(true);
  });

  it('lists and skips a bad file, writes the others, leaves no partial output and exits 1', () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(path.join(bad, 'x'), { recursive: true });
    writeFileSync(path.join(bad, 'x', 'broken.wav'), 'RIFF....WAVEnot really');
    writeFileSync(path.join(bad, 'empty.flac'), '');
    rmSync(path.join(dir, 'badout'), { recursive: true, force: true });
    for (const f of ['a.wav', 'c.wav']) {
      const src = f === 'a.wav' ? path.join(input, 'spk1', 'ch1', f) : path.join(input, 'spk2', f);
      writeFileSync(path.join(bad, 'x', f), readFileSync(src));
    }
    const out = path.join(dir, 'badout');
    const r = runCli(['encode', bad, out, '--model', modelDir, '--jobs', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/encoded 2 of 4 files/);
    expect(r.stderr).toMatch(/x\/broken\.wav: /);
    expect(r.stderr).toMatch(/empty\.flac: /);
    expect(r.stderr).toMatch(/^nsvq-codec: error: 2 of 4 files failed/m);
    expect(r.stderr).not.toMatch(/    at /); // no stack trace for user errors
    expect(tree(out)).toEqual(['x/a.bin', 'x/c.bin']); // no temporary or partial files
  });

  it('decodes a truncated stream in a folder as a listed failure, others complete', () => {
    const src = path.join(dir, 'streams');
    const out = path.join(dir, 'streams-out');
    mkdirSync(src, { recursive: true });
    expect(runCli(['encode', path.join(input, 'spk2', 'c.wav'), path.join(src, 'good.bin'), '--model', modelDir]).code).toBe(0);
    const bytes = readFileSync(path.join(src, 'good.bin'));
    writeFileSync(path.join(src, 'cut.bin'), bytes.subarray(0, bytes.length - 5));
    const r = runCli(['decode', src, out, '--model', modelDir, '--jobs', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cut\.bin: .*truncated/);
    expect(tree(out)).toEqual(['good.wav']);
  });

  it('accepts several input files into an output folder; a clash is listed, not overwritten', () => {
    const out = path.join(dir, 'several');
    const a = path.join(input, 'spk1', 'ch1', 'a.wav');
    const c = path.join(input, 'spk2', 'c.wav');
    const other = path.join(dir, 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(path.join(other, 'a.wav'), readFileSync(c)); // same name as a.wav above
    const r = runCli(['encode', a, c, path.join(other, 'a.wav'), out, '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/other\/a\.wav: its output .*a\.bin is also the output of/);
    expect(tree(out)).toEqual(['a.bin', 'c.bin']);
    const first = readFileSync(path.join(out, 'a.bin'));
    expect(runCli(['encode', a, path.join(dir, 'a-single.bin'), '--model', modelDir]).code).toBe(0);
    expect(first.equals(readFileSync(path.join(dir, 'a-single.bin')))).toBe(true);
    // Several folders: each keeps its own name under the output folder.
    const out2 = path.join(dir, 'several-dirs');
    const r2 = runCli(['encode', path.join(input, 'spk2'), other, out2, '--model', modelDir]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(tree(out2)).toEqual(['other/a.bin', 'spk2/c.bin']);
  });

  it('gives one-line errors with exit 1 for bad usage, before touching any file', () => {
    const out = path.join(dir, 'never');
    let r = runCli(['encode', input, out, '--bitrate', '12k', '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    r = runCli(['decode', input, out, '--rate', '44100', '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--rate/);
    r = runCli(['encode', input, out, '--jobs', '0', '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--jobs/);
    r = runCli(['encode', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs an input and an output/);
    const file = path.join(dir, 'a-file.bin');
    writeFileSync(file, 'x');
    r = runCli(['encode', path.join(input, 'spk2', 'c.wav'), path.join(input, 'spk1', 'ch1', 'a.wav'), file, '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a folder/);
    r = runCli(['decode', path.join(dir, 'empty-dir-that-is-missing'), path.join(dir, 'x'), out, '--model', modelDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such file or folder/);
    expect(existsSync(out)).toBe(false);
  });

  it('explains folder mode in --help', () => {
    for (const cmd of ['encode', 'decode']) {
      const r = runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/OUT_DIR/);
      expect(r.stdout).toMatch(/--jobs/);
      expect(r.stdout).toMatch(/recursive/);
    }
  });
});

describe('folder mode on real speech', () => {
  noteSkip('folder mode on real speech');
  it.skipIf(!HAVE_SHARED)('encodes a LibriSpeech chapter with its layout and decodes it back', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nsvq-folders-real-'));
    try {
      const chapter = path.join(SPEECH_DIR, 'LibriSpeech', 'test-other', '1688', '142285');
      const names = readdirSync(chapter).filter((n) => n.endsWith('.flac')).sort().slice(0, 3);
      const src = path.join(dir, 'in', '1688', '142285');
      mkdirSync(src, { recursive: true });
      for (const n of names) writeFileSync(path.join(src, n), readFileSync(path.join(chapter, n)));
      let r = runCli(['encode', path.join(dir, 'in'), path.join(dir, 'bins'), '--jobs', '2']);
      expect(r.code, r.stderr).toBe(0);
      expect(tree(path.join(dir, 'bins'))).toEqual(names.map((n) => `1688/142285/${n.replace('.flac', '.bin')}`));
      r = runCli(['decode', path.join(dir, 'bins'), path.join(dir, 'wavs'), '--jobs', '2']);
      expect(r.code, r.stderr).toBe(0);
      expect(tree(path.join(dir, 'wavs'))).toEqual(names.map((n) => `1688/142285/${n.replace('.flac', '.wav')}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
