/**
 * Search-kernel benchmark (issue 3): exact nearest codeword for K = 4096, D = 16, reported in
 * GFLOP/s with the convention 3·K·D flops per input vector (subtract, multiply, add of the naive
 * ‖x − c‖²), for
 *   - the TS kernel (WebAssembly SIMD scan + certificate), 1 thread;
 *   - the same through the worker pool, 2 threads;
 *   - the float64 JS kernel alone (no WebAssembly), 1 thread;
 *   - TF.js on its WebAssembly backend, two formulations: (a) matMul(x, Cᵀ), ‖c‖² − 2·(x·c),
 *     argMin; (b) the faster one, norms folded into the product: [x, 1]·[Cᵀ; −‖c‖²/2] then
 *     argMax, codebook uploaded and transposed once. Input upload and index read-back are
 *     timed for TF.js, as the kernel's timing includes its own copies. Speedups are against (b).
 * All are measured in the same run, interleaved round by round (the machine is shared, so
 * the medians and the ratios are what to quote). Writes bench/results/vq.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { codewordNorms, nearestCodewords, setWasmSearch } from '../src/vq/search.js';
import { SearchPool } from '../src/vq/search-pool.js';
import { Rng } from '../src/vq/random.js';

const K = 4096;
const D = 16;
const N = Number(process.env.BENCH_VQ_ROWS ?? 2048);
const ROUNDS = Number(process.env.BENCH_VQ_ROUNDS ?? 7);

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const rng = new Rng(2026);
  const codebook = rng.normalArray(K * D);
  const data = rng.normalArray(N * D);
  const pool = new SearchPool(2);

  const cbT = tf.tensor2d(codebook, [K, D]);
  const normT = tf.tensor1d(codewordNorms(codebook, K, D));
  const tfSearch = (): Int32Array => {
    const idx = tf.tidy(() => {
      const x = tf.tensor2d(data, [N, D]);
      const scores = tf.sub(normT, tf.mul(2, tf.matMul(x, cbT, false, true)));
      return tf.argMin(scores, 1);
    });
    const out = idx.dataSync() as Int32Array;
    idx.dispose();
    return Int32Array.from(out);
  };

  const augT = tf.tidy(() => tf.concat([tf.transpose(cbT), tf.reshape(tf.mul(-0.5, normT), [1, K])], 0));
  const tfSearchAug = (): Int32Array => {
    const idx = tf.tidy(() => {
      const x = tf.concat([tf.tensor2d(data, [N, D]), tf.ones([N, 1])], 1);
      return tf.argMax(tf.matMul(x, augT), 1);
    });
    const out = idx.dataSync() as Int32Array;
    idx.dispose();
    return Int32Array.from(out);
  };

  const methods: Record<string, () => Promise<Int32Array> | Int32Array> = {
    'ts-kernel-1thread': () => {
      setWasmSearch(true);
      return nearestCodewords(data, N, codebook, K, D);
    },
    'ts-kernel-2threads': () => {
      setWasmSearch(true);
      return pool.nearest(data, N, codebook, K, D);
    },
    'js-float64-1thread': () => {
      setWasmSearch(false);
      const r = nearestCodewords(data, N, codebook, K, D);
      setWasmSearch(true);
      return r;
    },
    'tfjs-wasm-matmul-argmin': tfSearch,
    'tfjs-wasm-augmented-argmax': tfSearchAug,
  };

  const times: Record<string, number[]> = {};
  const results: Record<string, Int32Array> = {};
  for (const name of Object.keys(methods)) {
    times[name] = [];
    results[name] = await methods[name](); // warm-up (JIT, wasm compile, worker start)
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of Object.keys(methods)) {
      const t0 = performance.now();
      await methods[name]();
      times[name].push(performance.now() - t0);
    }
  }
  await pool.close();

  const flops = 3 * K * D * N;
  const ref = results['ts-kernel-1thread'];
  const rows = Object.keys(methods).map((name) => {
    const ms = median(times[name]);
    let agree = 0;
    for (let i = 0; i < N; i++) if (results[name][i] === ref[i]) agree++;
    return { method: name, median_ms: +ms.toFixed(2), min_ms: +Math.min(...times[name]).toFixed(2), gflops: +(flops / ms / 1e6).toFixed(2), agreement_with_kernel: agree / N };
  });
  const base = Math.min(...rows.filter((r) => r.method.startsWith('tfjs')).map((r) => r.median_ms));
  const out = {
    bench: 'vq-search',
    date: new Date().toISOString(),
    node: process.version,
    shape: { K, D, N },
    flop_convention: '3·K·D per input vector',
    rounds: ROUNDS,
    results: rows.map((r) => ({ ...r, speedup_vs_tfjs: +(base / r.median_ms).toFixed(2) })),
    note: 'medians of interleaved rounds on a shared 2-core machine; compare ratios, not absolute times',
  };
  for (const r of out.results) {
    console.log(`${r.method.padEnd(26)} ${String(r.median_ms).padStart(8)} ms  ${String(r.gflops).padStart(6)} GFLOP/s  ×${r.speedup_vs_tfjs} vs best TF.js  agree ${(r.agreement_with_kernel * 100).toFixed(2)}%`);
  }
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'vq.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${path.join(dir, 'vq.json')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
