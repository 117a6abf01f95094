/**
 * The demo's codec worker: loads the model once, then encodes, decodes and scores off the
 * page's thread, reporting progress. It runs the same library code as the CLI (nsvq-codec/web),
 * so its .bin and WAV bytes equal the CLI's for the same input.
 */
import {
  BITRATES, CODEC_RATE, Decoder, Encoder, FORMAT_VERSION, HEADER_BYTES, UserError, codedLength, decodeAudioBytes,
  downmix, frameCountFor, loadModel, parseWav, readHeader, resample, scorePair, wav16File, writeHeader,
  checkModelMatches, wasmKernels, type Bitrate, type CodecModel,
} from '../src/web/index.js';
import type { AudioPayload, CodecResult, Reply, Request } from './protocol.js';

interface WorkerScope {
  postMessage(message: Reply, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Samples per encoder push and per progress report (1 s). */
const CHUNK = CODEC_RATE;

const modelReady: Promise<CodecModel> = loadModel(new URL('model.nsvqm', self.location.href));
modelReady.then(
  (m) => scope.postMessage({ type: 'ready', modelId: m.id, wasm: wasmKernels() }),
  (err: unknown) => scope.postMessage({ type: 'error', job: -1, message: `cannot load the model: ${(err as Error).message}` }),
);

const progress = (job: number, stage: Extract<Reply, { type: 'progress' }>['stage'], fraction: number): void =>
  scope.postMessage({ type: 'progress', job, stage, fraction });

/** The input as 16 kHz mono, as the CLI's audio loader makes it (downmix by mean, band-limited resampling). */
async function toCodecRate(audio: AudioPayload): Promise<{ samples: Float32Array; rate: number; length: number }> {
  const { channels, sampleRate } = audio.kind === 'bytes' ? await decodeAudioBytes(audio.bytes, audio.name) : audio;
  const mono = downmix(channels);
  return { samples: await resample(mono, sampleRate, CODEC_RATE), rate: sampleRate, length: mono.length };
}

function encode(job: number, model: CodecModel, x: Float32Array, bitrate: Bitrate, originalRate: number, originalLength: number): Uint8Array {
  const frames = frameCountFor(x.length);
  const enc = new Encoder(model, bitrate);
  const out = new Uint8Array(HEADER_BYTES + frames * enc.frameBytes);
  out.set(writeHeader({ version: FORMAT_VERSION, bitrate, originalRate, originalLength, frameCount: frames, modelId: model.id }), 0);
  let pos = HEADER_BYTES;
  const put = (fs: Uint8Array[]): void => { for (const f of fs) { out.set(f, pos); pos += f.length; } };
  for (let i = 0; i < x.length; i += CHUNK) {
    put(enc.push(x.subarray(i, i + CHUNK)));
    progress(job, 'encoding', Math.min(1, (i + CHUNK) / x.length));
  }
  put(enc.flush());
  if (pos !== out.length) throw new Error(`encoded ${pos} bytes, expected ${out.length} (bug)`);
  return out;
}

/** Decode a whole stream frame by frame (lag 0, the coded length), as decodeSpeech does, with progress. */
function decode(job: number, model: CodecModel, bin: Uint8Array): { samples: Float32Array; bitrate: Bitrate; originalRate: number } {
  const { header, headerBytes } = readHeader(bin);
  checkModelMatches(header, model);
  const dec = new Decoder(model, header.bitrate);
  const out = new Float32Array(codedLength(header.originalLength, header.originalRate));
  const fb = dec.frameBytes;
  const every = Math.max(1, Math.floor(CHUNK / 320));
  for (let j = 0; j < header.frameCount; j++) {
    const y = dec.decodeFrame(bin.subarray(headerBytes + j * fb, headerBytes + (j + 1) * fb));
    if (j > 0) {
      const start = (j - 1) * y.length;
      const n = Math.min(y.length, out.length - start);
      if (n > 0) out.set(y.subarray(0, n), start);
    }
    if (j % every === 0 || j === header.frameCount - 1) progress(job, 'decoding', (j + 1) / header.frameCount);
  }
  return { samples: out, bitrate: header.bitrate, originalRate: header.originalRate };
}

async function handle(req: Request): Promise<CodecResult> {
  const model = await modelReady;
  if (req.type === 'encode') {
    if (!BITRATES.includes(req.bitrate)) throw new UserError(`unknown bitrate ${req.bitrate}`);
    progress(req.job, 'decoding input', 0);
    const input = await toCodecRate(req.audio);
    const t0 = performance.now();
    const bin = encode(req.job, model, input.samples, req.bitrate, input.rate, input.length);
    const t1 = performance.now();
    const { samples } = decode(req.job, model, bin);
    const t2 = performance.now();
    const wav = wav16File(samples, CODEC_RATE);
    progress(req.job, 'scoring', 0);
    // Score the WAV as written (16-bit), as `nsvq-codec metrics original decoded.wav` does. Input
    // the metrics refuse (too short, silent) still gets its .bin and WAV, with the reason shown.
    let scores: CodecResult['scores'];
    let scoreError: string | undefined;
    try {
      scores = scorePair(input.samples, parseWav(wav, 'decoded.wav').channels[0], CODEC_RATE);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      scoreError = err.message;
    }
    const t3 = performance.now();
    return {
      job: req.job, name: req.audio.name, bitrate: req.bitrate, original: input.samples, originalRate: input.rate,
      bin, decoded: samples, wav, scores, scoreError, modelId: model.id, encodeMs: t1 - t0, decodeMs: t2 - t1, scoreMs: t3 - t2,
    };
  }
  const t0 = performance.now();
  const { samples, bitrate, originalRate } = decode(req.job, model, req.bin);
  const t1 = performance.now();
  return { job: req.job, name: req.name, bitrate, originalRate, bin: req.bin, decoded: samples, wav: wav16File(samples, CODEC_RATE), modelId: model.id, decodeMs: t1 - t0 };
}

scope.onmessage = (event) => {
  const req = event.data;
  handle(req).then(
    (result) => scope.postMessage({ type: 'done', result }),
    (err: unknown) => scope.postMessage({ type: 'error', job: req.job, message: err instanceof Error ? err.message : String(err) }),
  );
};
