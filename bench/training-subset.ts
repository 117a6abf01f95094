/**
 * The command line the issue-12 statistics probes share: every k-th file of a speech folder
 * (train-clean-100 by default, where tuning belongs) at a list of modes, with the shipped model.
 */
import path from 'node:path';
import { Command } from 'commander';
import { type Bitrate, parseBitrate } from '../src/coding/modes.js';
import { loadModel, packageRoot } from '../src/model/codec-model.js';
import { scanAudioFolders } from '../src/audio/scan.js';
import type { CodecModel } from '../src/model/model-format.js';

export interface TrainingSubset {
  root: string;
  data: string;
  every: number;
  bitrates: Bitrate[];
  files: string[];
  model: CodecModel;
}

/** Parse `--data DIR --every K --bitrates LIST` and list the files. */
export async function trainingSubset(defaultBitrates: string): Promise<TrainingSubset> {
  const root = packageRoot();
  const o = new Command()
    .option('--data <dir>', 'speech folder', path.resolve(root, '..', 'shared', 'speech', 'LibriSpeech', 'train-clean-100'))
    .option('--every <k>', 'every k-th file', (v) => Number(v), 25)
    .option('--bitrates <list>', 'comma-separated modes', defaultBitrates)
    .parse(process.argv)
    .opts<{ data: string; every: number; bitrates: string }>();
  const files = (await scanAudioFolders([o.data])).filter((_, i) => i % o.every === 0);
  return { root, data: o.data, every: o.every, bitrates: o.bitrates.split(',').map(parseBitrate), files, model: loadModel() };
}
