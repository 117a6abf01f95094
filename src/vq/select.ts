/**
 * Differentiable row selection c = codebook[indices] for TF.js (DESIGN §2 "TF.js facts"): the
 * WebAssembly backend has no UnsortedSegmentSum, so `tf.gather`'s own gradient fails there. This
 * op gathers in the forward pass and scatter-adds the upstream gradient in TypeScript
 * (O(B·D)) for the backward pass, so it works on every backend. Indices are plain integers
 * computed outside the tape; entries < 0 select a zero row (used for stage dropout).
 */
import * as tf from '@tensorflow/tfjs';

export function selectRows(codebook: tf.Tensor2D, indices: Int32Array): tf.Tensor2D {
  const [k, dim] = codebook.shape;
  const n = indices.length;
  for (let i = 0; i < n; i++) {
    if (indices[i] >= k) throw new RangeError(`selectRows: index ${indices[i]} ≥ ${k}`);
  }
  const op = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const cb = inputs[0] as tf.Tensor2D;
    const value = tf.tidy(() => {
      const safe = new Int32Array(n);
      const mask = new Float32Array(n);
      let masked = false;
      for (let i = 0; i < n; i++) {
        if (indices[i] >= 0) {
          safe[i] = indices[i];
          mask[i] = 1;
        } else masked = true;
      }
      const g = tf.gather(cb, tf.tensor1d(safe, 'int32'));
      return masked ? tf.mul(g, tf.tensor2d(mask, [n, 1])) : g;
    });
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const d = dy.dataSync();
      const acc = new Float32Array(k * dim);
      for (let i = 0; i < n; i++) {
        const j = indices[i];
        if (j < 0) continue;
        const o = j * dim;
        const r = i * dim;
        for (let c = 0; c < dim; c++) acc[o + c] += d[r + c];
      }
      return tf.tensor2d(acc, [k, dim]);
    };
    return { value, gradFunc };
  });
  return op(codebook) as tf.Tensor2D;
}

/** Identity in the forward pass, zero gradient (TF.js has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(t: T): T {
  const op = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const a = inputs[0] as tf.Tensor;
    return { value: tf.clone(a), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  });
  return op(t) as T;
}

/**
 * Straight-through output: value c, gradient dy passed to x unchanged and nothing to c
 * (x + sg(c − x), Bengio et al. 2013; van den Oord et al. 2017).
 */
export function straightThrough(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const cc = inputs[1] as tf.Tensor;
    return { value: tf.clone(cc), gradFunc: (dy: tf.Tensor) => [dy, tf.zerosLike(dy)] };
  });
  return op(x, c) as tf.Tensor2D;
}
