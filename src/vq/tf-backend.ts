/**
 * TensorFlow.js backend selection for training (DESIGN §3): the native bindings
 * `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node` when the user has installed them (loaded
 * by dynamic import, so they stay optional), else WebAssembly (`@tensorflow/tfjs-backend-wasm`,
 * the default), else the pure-JS cpu backend. The codec itself never loads TF.js (DESIGN §5).
 */
import * as tf from '@tensorflow/tfjs';

export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** TF.js backend name now active: 'tensorflow' (native), 'wasm' or 'cpu'. */
  backend: string;
  /** Package that provides it. */
  package: string;
  /** Why earlier choices were skipped (empty when the first choice worked). */
  skipped: string[];
}

const NATIVE: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let active: BackendInfo | null = null;

async function tryNative(pkg: string): Promise<boolean> {
  // A variable specifier keeps TypeScript from requiring the optional package at build time.
  const spec: string = pkg;
  await import(spec);
  return tf.setBackend('tensorflow');
}

async function tryWasm(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  return tf.setBackend('wasm');
}

/**
 * Select and initialise the backend. 'auto' tries node-gpu, node, wasm, cpu in that order; a
 * named choice tries only that one and throws if it is unavailable. Idempotent for a repeated
 * choice. The environment variable NSVQ_TF_BACKEND overrides 'auto'.
 */
export async function initTfBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  const envChoice = process.env.NSVQ_TF_BACKEND as BackendChoice | undefined;
  const want: BackendChoice = choice === 'auto' && envChoice ? envChoice : choice;
  if (active && (want === 'auto' || active.package === packageOf(want))) return active;
  const order: Exclude<BackendChoice, 'auto'>[] = want === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [want];
  const skipped: string[] = [];
  for (const c of order) {
    try {
      const ok = c === 'cpu' ? await tf.setBackend('cpu') : c === 'wasm' ? await tryWasm() : await tryNative(NATIVE[c]);
      if (!ok) throw new Error('setBackend returned false');
      await tf.ready();
      active = { backend: tf.getBackend(), package: packageOf(c), skipped };
      return active;
    } catch (err) {
      skipped.push(`${c}: ${firstLine(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised (${skipped.join('; ')})`);
}

function packageOf(c: BackendChoice): string {
  switch (c) {
    case 'node-gpu':
    case 'node':
      return NATIVE[c];
    case 'wasm':
      return '@tensorflow/tfjs-backend-wasm';
    case 'cpu':
      return '@tensorflow/tfjs-backend-cpu';
    default:
      return 'auto';
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 160);
}

/** One line for logs: "TF.js backend: wasm (@tensorflow/tfjs-backend-wasm)". */
export function describeBackend(info: BackendInfo): string {
  return `TF.js backend: ${info.backend} (${info.package})`;
}
