/**
 * Long decoder fuzz run (`npm run bench:fuzz`): the CI fuzz test's harness (src/codec/fuzz.ts)
 * with many more cases, over every mode and a longer valid stream. Prints the outcome counts
 * and the slowest case; writes bench/results/fuzz.json. Exit code 1 if any case failed.
 * FUZZ_CASES (default 200000 in total) sets the size of the run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSpeech } from '../src/codec/codec.js';
import { fuzzDecoder, type FuzzReport } from '../src/codec/fuzz.js';
import { BITRATES } from '../src/coding/modes.js';
import { existsSync } from 'node:fs';
import { loadModel, modelFilePath } from '../src/model/codec-model.js';
import { buildSyntheticModel, syntheticSpeechLike } from '../src/model/synthetic-model.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');

async function main(): Promise<void> {
  const total = Number(process.env.FUZZ_CASES ?? 200_000);
  const model = existsSync(modelFilePath()) ? loadModel() : buildSyntheticModel();
  const perMode = Math.ceil(total / BITRATES.length);
  const results: Record<string, FuzzReport & { seconds: number }> = {};
  let failures = 0;
  const t0 = performance.now();
  for (const [i, b] of BITRATES.entries()) {
    const valid = encodeSpeech(model, syntheticSpeechLike(0.3, 100 + i), b, 44100);
    const t = performance.now();
    const r = fuzzDecoder(model, valid, perMode, 1000 + i);
    const seconds = (performance.now() - t) / 1000;
    results[String(b)] = { ...r, failures: r.failures.slice(0, 20), seconds };
    failures += r.failures.length;
    console.log(
      `${b}: ${r.cases} cases in ${seconds.toFixed(1)} s — decoded ${r.decoded}, rejected ${r.rejected}, ` +
        `failed ${r.failures.length}, slowest ${r.slowestMs.toFixed(1)} ms`,
    );
    for (const f of r.failures.slice(0, 3)) console.log(`  ${f.split('\n')[0]}`);
  }
  const out = { bench: 'fuzz', date: new Date().toISOString(), modelId: model.id, totalCases: perMode * BITRATES.length, failures, seconds: (performance.now() - t0) / 1000, modes: results };
  mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  await writeFileAtomic(path.join(repo, 'bench', 'results', 'fuzz.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`${failures === 0 ? 'OK' : 'FAILED'}: ${out.totalCases} cases, ${failures} failures; wrote bench/results/fuzz.json`);
  if (failures > 0) process.exitCode = 1;
}

await main();
