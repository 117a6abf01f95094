/**
 * Load speech for the codec: decode at the native rate, downmix to mono (mean), resample with
 * the band-limited converter to `targetRate` (16 kHz by default, DESIGN §1).
 */
import { decodeAudioFile } from './decode.js';
import { downmix } from './downmix.js';
import { resample } from './resample.js';

export const CODEC_SAMPLE_RATE = 16000;

export interface SpeechSignal {
  samples: Float32Array;
  sampleRate: number;
  originalRate: number;
  originalChannels: number;
}

export async function loadSpeech(path: string, targetRate: number = CODEC_SAMPLE_RATE): Promise<SpeechSignal> {
  const decoded = await decodeAudioFile(path);
  const mono = downmix(decoded.channels);
  const samples = await resample(mono, decoded.sampleRate, targetRate);
  return { samples, sampleRate: targetRate, originalRate: decoded.sampleRate, originalChannels: decoded.channels.length };
}
