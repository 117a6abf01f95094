import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, initTfBackend } from '../src/vq/tf-backend.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('initTfBackend', () => {
  it('auto falls back past missing native bindings to wasm and says why', async () => {
    const info = await initTfBackend('auto');
    expect(['tensorflow', 'wasm']).toContain(info.backend);
    expect(tf.getBackend()).toBe(info.backend);
    if (info.backend === 'wasm') {
      expect(info.package).toBe('@tensorflow/tfjs-backend-wasm');
      expect(info.skipped.map((s) => s.split(':')[0])).toEqual(['node-gpu', 'node']);
    }
    expect(describeBackend(info)).toContain(info.backend);
    // gradients work on the chosen backend
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2]));
    expect(Array.from(g.dataSync())).toEqual([2, -4]);
  });

  it('a named choice that is unavailable throws; cpu can be forced', async () => {
    await expect(initTfBackend('node-gpu')).rejects.toThrow(/no TensorFlow.js backend/);
    const info = await initTfBackend('cpu');
    expect(info.backend).toBe('cpu');
  });
});
