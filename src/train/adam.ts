/**
 * Adam (Kingma & Ba 2015) over plain Float32Arrays, outside TF.js, so that its whole state
 * (moments and step) is ours to checkpoint and restore bit-exactly (issue 6: `--resume`
 * continues exactly). Arithmetic is float64 per element, stored as float32: deterministic on
 * every runtime.
 */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * One Adam update of `param` in place. `m`, `v` are its moments (updated in place); `t` is the 1-based step number used for bias correction
 * (shared by every parameter of the model, so all moments age together).
 */
export function adamUpdate(
  param: Float32Array,
  grad: ArrayLike<number>,
  m: Float32Array,
  v: Float32Array,
  t: number,
  opts: AdamOptions,
): void {
  const n = param.length;
  if (grad.length !== n || m.length !== n || v.length !== n) {
    throw new RangeError(`adamUpdate: sizes differ (param ${n}, grad ${grad.length}, moments ${m.length}/${v.length})`);
  }
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.epsilon ?? 1e-8;
  const c1 = 1 - Math.pow(b1, t);
  const c2 = 1 - Math.pow(b2, t);
  const step = opts.lr / c1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const mi = b1 * m[i] + (1 - b1) * g;
    const vi = b2 * v[i] + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] - (step * mi) / (Math.sqrt(vi / c2) + eps);
  }
}
