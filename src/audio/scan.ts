/**
 * Find the audio files of a dataset: recursive, deterministic order (sorted by '/'-separated
 * relative path, plain code-unit order, not locale), hidden entries skipped, symlinks followed
 * with a depth bound. Shared by training, the default-model build, eval and the benches.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

/** File endings the audio loader can read (WAV and FLAC by our own parsers; Ogg, MP3 by node-web-audio-api). */
export const AUDIO_EXTENSIONS: readonly string[] = ['.wav', '.flac', '.ogg', '.oga', '.mp3'];

export interface AudioFileRef {
  /** Absolute path. */
  path: string;
  /** Path relative to the scanned folder, '/'-separated (the report's file key). */
  rel: string;
}

/** Whether a file name has one of AUDIO_EXTENSIONS (any case). */
export function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** All audio files under `dir`, sorted. UserError when `dir` is not a readable folder. */
export async function scanAudioFiles(dir: string): Promise<AudioFileRef[]> {
  const root = path.resolve(dir);
  let st;
  try {
    st = await fs.stat(root);
  } catch {
    throw new UserError(`data folder not found: ${dir}`);
  }
  if (!st.isDirectory()) throw new UserError(`data must be a folder: ${dir}`);
  return listFiles(root, isAudioName);
}

/**
 * Files under the folder `root` whose name `accept`s, in the order and with the rules above
 * (hidden entries skipped, symlinks followed, depth-bounded). Folders whose absolute path is in
 * `skipDirs` are not entered (the CLI's output folder when it lies inside its input).
 */
export async function listFiles(root: string, accept: (name: string) => boolean, skipDirs: ReadonlySet<string> = new Set()): Promise<AudioFileRef[]> {
  const found: AudioFileRef[] = [];
  const walk = async (abs: string, rel: string, depth: number): Promise<void> => {
    if (depth > 64) return; // symlink loops
    const entries = await fs.readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const childAbs = path.join(abs, e.name);
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const t = await fs.stat(childAbs).catch(() => undefined);
        isDir = t?.isDirectory() ?? false;
        isFile = t?.isFile() ?? false;
      }
      if (isDir) {
        if (!skipDirs.has(childAbs)) await walk(childAbs, childRel, depth + 1);
      } else if (isFile && accept(e.name)) found.push({ path: childAbs, rel: childRel });
    }
  };
  await walk(path.resolve(root), '', 0);
  found.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return found;
}

/** Absolute paths of the audio files under several folders, de-duplicated and sorted. */
export async function scanAudioFolders(roots: readonly string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const r of roots) for (const f of await scanAudioFiles(r)) all.add(f.path);
  return [...all].sort();
}
