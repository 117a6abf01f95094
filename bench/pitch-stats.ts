/**
 * Issue-12 side-information statistics of the pitch filter: the share of frames with the pitch
 * flag on, the share of those that also carry a comb lag, and how well the comb lag predicts
 * the pitch lag (T − round(640/P), P = 3.0 + 0.1·comb lag bins), per mode.
 *
 *   npm run build && node dist/bench/pitch-stats.js [--data DIR] [--every 25] [--bitrates 8k,24.4k]
 * Writes bench/results/pitch-stats.json.
 */
import path from 'node:path';
import { Encoder } from '../src/codec/encoder.js';
import { loadSpeech } from '../src/audio/load.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';
import { trainingSubset } from './training-subset.js';

async function main(): Promise<void> {
  const { root, data, every, bitrates, files, model } = await trainingSubset('8k,24.4k');
  const rows = [];
  for (const bitrate of bitrates) {
    let frames = 0;
    let pitchOn = 0;
    let both = 0;
    let within3 = 0;
    for (const file of files) {
      const x = (await loadSpeech(file, 16000)).samples;
      const enc = new Encoder(model, bitrate);
      enc.frameEncoder.recordFields = true;
      const count = (): void => {
        const f = enc.frameEncoder.last!;
        frames++;
        if (f.pitch.lag === 0) return;
        pitchOn++;
        if (f.combLag < 0) return;
        both++;
        if (Math.abs(f.pitch.lag - Math.round(640 / (3 + 0.1 * f.combLag))) <= 3) within3++;
      };
      // One hop per push: at most one frame each, so `last` is that frame's fields.
      for (let i = 0; i < x.length; i += 320) if (enc.push(x.subarray(i, i + 320)).length > 0) count();
      // The one or two frames of flush() (the zero-padded tail) are not counted.
    }
    const row = { bitrate, frames, pitchOnShare: pitchOn / frames, combShareOfPitch: both / Math.max(1, pitchOn), combWithin3ShareOfBoth: within3 / Math.max(1, both) };
    rows.push(row);
    process.stdout.write(`${bitrate / 1000} kbit/s: ${frames} frames, pitch on ${(100 * row.pitchOnShare).toFixed(1)} %, of those with a comb lag ${(100 * row.combShareOfPitch).toFixed(1)} %, comb predicts T within ±3 in ${(100 * row.combWithin3ShareOfBoth).toFixed(1)} %\n`);
  }
  await writeFileAtomic(path.join(root, 'bench', 'results', 'pitch-stats.json'), JSON.stringify({
    bench: 'pitch-stats', date: new Date().toISOString(), data: path.relative(root, data), every, files: files.length, rows,
  }, null, 1) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`pitch-stats failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 2;
});
