/** Waveform and spectrogram drawings for the demo page (canvas 2D, no libraries). */

/** In-place radix-2 complex FFT of length re.length (a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k), wi = Math.sin(ang * k);
        const a = i + k, b = a + len / 2;
        const xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr; im[b] = im[a] - xi;
        re[a] += xr; im[a] += xi;
      }
    }
  }
}

function fitCanvas(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  canvas.height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  return ctx;
}

/** Min/max per pixel column, so peaks survive at any zoom. */
export function drawWaveform(canvas: HTMLCanvasElement, x: Float32Array, color: string): void {
  const ctx = fitCanvas(canvas);
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#fafafa';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = color;
  const per = x.length / w;
  for (let px = 0; px < w; px++) {
    let lo = 0, hi = 0;
    const end = Math.min(x.length, Math.floor((px + 1) * per));
    for (let i = Math.floor(px * per); i < end; i++) {
      if (x[i] < lo) lo = x[i];
      if (x[i] > hi) hi = x[i];
    }
    const top = ((1 - Math.min(1, hi)) * h) / 2;
    const bottom = ((1 - Math.max(-1, lo)) * h) / 2;
    ctx.fillRect(px, top, 1, Math.max(1, bottom - top));
  }
}

const FFT_SIZE = 512;
const HOP = 128;
const FLOOR_DB = -100;

/** Magnitude spectrogram in dB (Hann window, 32 ms frames at 16 kHz), 0 dB at full scale. */
export function drawSpectrogram(canvas: HTMLCanvasElement, x: Float32Array): void {
  const ctx = fitCanvas(canvas);
  const frames = Math.max(1, Math.floor((x.length - FFT_SIZE) / HOP) + 1);
  const bins = FFT_SIZE / 2;
  const image = ctx.createImageData(frames, bins);
  const re = new Float64Array(FFT_SIZE), im = new Float64Array(FFT_SIZE);
  const win = Float64Array.from({ length: FFT_SIZE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FFT_SIZE));
  const norm = 4 / (FFT_SIZE * FFT_SIZE);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < FFT_SIZE; i++) { re[i] = (x[f * HOP + i] ?? 0) * win[i]; im[i] = 0; }
    fft(re, im);
    for (let k = 0; k < bins; k++) {
      const db = 10 * Math.log10((re[k] * re[k] + im[k] * im[k]) * norm + 1e-12);
      const t = Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
      const o = 4 * ((bins - 1 - k) * frames + f);
      // Dark blue → magenta → yellow.
      image.data[o] = Math.round(255 * Math.min(1, 1.6 * t));
      image.data[o + 1] = Math.round(255 * Math.max(0, 1.8 * t - 0.8));
      image.data[o + 2] = Math.round(255 * (t < 0.5 ? 0.25 + t : Math.max(0, 1.5 - 2 * t)));
      image.data[o + 3] = 255;
    }
  }
  // Draw at native size on a scratch canvas, then scale to the visible one.
  const scratch = document.createElement('canvas');
  scratch.width = frames;
  scratch.height = bins;
  scratch.getContext('2d')?.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}
