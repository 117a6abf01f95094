/**
 * PESQ's energy-based voice activity detector over 4 ms windows (P.862 §10.2.3): an iterated
 * noise-level estimate sets the threshold, then short bursts are dropped, close bursts joined
 * and the edges of each burst ramped. Returns the VAD levels (0 outside speech) and their log
 * relative to the threshold, which the envelope cross-correlation uses.
 */
import { DOWNSAMPLE, JOIN_SPEECH_LENGTH, MIN_SPEECH_LENGTH } from './tables.js';

export interface VadResult {
  vad: Float32Array;
  logVad: Float32Array;
}

export function voiceActivity(data: Float32Array, n: number): VadResult {
  const windows = Math.trunc(n / DOWNSAMPLE);
  const vad = new Float32Array(windows);
  for (let w = 0; w < windows; w++) {
    let e = 0;
    for (let i = w * DOWNSAMPLE, end = i + DOWNSAMPLE; i < end; i++) e += data[i] * data[i];
    vad[w] = e / DOWNSAMPLE;
  }

  let threshold = 0;
  for (let w = 0; w < windows; w++) threshold += vad[w];
  threshold /= windows;

  let levelMin = 0;
  for (let w = 0; w < windows; w++) if (vad[w] > levelMin) levelMin = vad[w];
  levelMin = levelMin > 0 ? Math.fround(levelMin * 1.0e-4) : 1;
  for (let w = 0; w < windows; w++) if (vad[w] < levelMin) vad[w] = levelMin;

  // Noise level: mean + 2 std of the windows below the threshold, iterated.
  let levelNoise = 0;
  for (let iter = 0; iter < 12; iter++) {
    levelNoise = 0;
    let stdNoise = 0;
    let count = 0;
    for (let w = 0; w < windows; w++) {
      if (vad[w] <= threshold) {
        levelNoise += vad[w];
        count++;
      }
    }
    if (count > 0) {
      levelNoise /= count;
      for (let w = 0; w < windows; w++) {
        if (vad[w] <= threshold) {
          const g = vad[w] - levelNoise;
          stdNoise += g * g;
        }
      }
      stdNoise = Math.sqrt(stdNoise / count);
    }
    threshold = Math.fround(1.001 * (levelNoise + 2 * stdNoise));
  }

  levelNoise = 0;
  let levelSig = 0;
  let speech = 0;
  for (let w = 0; w < windows; w++) {
    if (vad[w] > threshold) {
      levelSig += vad[w];
      speech++;
    } else {
      levelNoise += vad[w];
    }
  }
  if (speech > 0) levelSig /= speech;
  else threshold = -1;
  if (speech < windows) levelNoise /= windows - speech;
  else levelNoise = 1;

  // Negative values mark non-speech from here on.
  for (let w = 0; w < windows; w++) if (vad[w] <= threshold) vad[w] = -vad[w];
  vad[0] = -levelMin;
  vad[windows - 1] = -levelMin;

  // Bursts of at most MIN_SPEECH_LENGTH windows are not speech.
  let start = 0;
  let finish = 0;
  for (let w = 1; w < windows; w++) {
    if (vad[w] > 0 && vad[w - 1] <= 0) start = w;
    if (vad[w] <= 0 && vad[w - 1] > 0) {
      finish = w;
      if (finish - start <= MIN_SPEECH_LENGTH) for (let i = start; i < finish; i++) vad[i] = -vad[i];
    }
  }

  // With a clean signal, bursts whose mean is under 3× the threshold are not speech either.
  if (levelSig >= levelNoise * 1000) {
    for (let w = 1; w < windows; w++) {
      if (vad[w] > 0 && vad[w - 1] <= 0) start = w;
      if (vad[w] <= 0 && vad[w - 1] > 0) {
        finish = w;
        let g = 0;
        for (let i = start; i < finish; i++) g += vad[i];
        if (g < 3 * threshold * (finish - start)) for (let i = start; i < finish; i++) vad[i] = -vad[i];
      }
    }
  }

  // Join bursts separated by at most JOIN_SPEECH_LENGTH windows.
  start = 0;
  finish = 0;
  for (let w = 1; w < windows; w++) {
    if (vad[w] > 0 && vad[w - 1] <= 0) {
      start = w;
      if (finish > 0 && start - finish <= JOIN_SPEECH_LENGTH) for (let i = finish; i < start; i++) vad[i] = levelMin;
    }
    if (vad[w] <= 0 && vad[w - 1] > 0) finish = w;
  }

  // No burst left: treat everything as speech.
  start = 0;
  for (let w = 1; w < windows; w++) if (vad[w] > 0 && vad[w - 1] <= 0) start = w;
  if (start === 0) {
    for (let w = 0; w < windows; w++) vad[w] = Math.abs(vad[w]);
    vad[0] = -levelMin;
    vad[windows - 1] = -levelMin;
  }

  // Ramp two windows into and out of each burst.
  let w = 3;
  while (w < windows - 2) {
    if (vad[w] > 0 && vad[w - 2] <= 0) {
      vad[w - 2] = vad[w] * 0.1;
      vad[w - 1] = vad[w] * 0.3;
      w++;
    }
    if (vad[w] <= 0 && vad[w - 1] > 0) {
      vad[w] = vad[w - 1] * 0.3;
      vad[w + 1] = vad[w - 1] * 0.1;
      w += 3;
    }
    w++;
  }

  for (let i = 0; i < windows; i++) if (vad[i] < 0) vad[i] = 0;

  if (threshold <= 0) threshold = levelMin;
  const logVad = new Float32Array(windows);
  for (let i = 0; i < windows; i++) logVad[i] = vad[i] <= threshold ? 0 : Math.log(vad[i] / threshold);
  return { vad, logVad };
}
