/**
 * A second-order IIR section in direct form I, with its state (one instance per signal path).
 * Designs follow the RBJ audio-EQ cookbook; the decoder's band-limited output tools use the
 * low-pass (harmonic post-filter's biquad band limit, pre-echo suppression's band split).
 */
export class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(
    private readonly b0: number,
    private readonly b1: number,
    private readonly b2: number,
    private readonly a1: number,
    private readonly a2: number,
  ) {}

  /** Butterworth low-pass (Q = 1/√2) at cutoffHz, which must lie in (0, sampleRate/2). */
  static lowPass(cutoffHz: number, sampleRate: number): Biquad {
    if (!(cutoffHz > 0 && cutoffHz < sampleRate / 2)) throw new RangeError(`Biquad.lowPass: cutoff ${cutoffHz} Hz is outside (0, ${sampleRate / 2})`);
    const w0 = (2 * Math.PI * cutoffHz) / sampleRate;
    const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
    const cw = Math.cos(w0);
    const a0 = 1 + alpha;
    return new Biquad((1 - cw) / 2 / a0, (1 - cw) / a0, (1 - cw) / 2 / a0, (-2 * cw) / a0, (1 - alpha) / a0);
  }

  /** Clear the state (as if the input had been zero). */
  reset(): void {
    this.x1 = this.x2 = this.y1 = this.y2 = 0;
  }

  /** Filter one sample. */
  step(x: number): number {
    const v = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = v;
    return v;
  }
}
