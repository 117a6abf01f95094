/**
 * The demo page: pick or drop an audio file (or a .bin made by the CLI), or record from the
 * microphone; the worker encodes at the chosen bitrate, decodes and scores; the page plays both
 * (A/B), draws them, shows the numbers and offers the .bin and the decoded WAV for download.
 *
 * For tests, window.nsvqDemo exposes the page state and the last result (read only).
 */
// Direct imports rather than the nsvq-codec/web barrel: the page itself needs only these small
// modules, and the barrel would pull the codec's tables into main.js too (the worker has them).
import { BITRATES, type Bitrate } from '../src/coding/modes.js';
import { probeAudio } from '../src/audio/probe.js';
import { wav16File } from '../src/audio/wav-bytes.js';
import type { CompressedDecoder } from '../src/web/index.js';
import type { AudioPayload, CodecResult, Reply, Request } from './protocol.js';
import { drawSpectrogram, drawWaveform } from './views.js';

type PageState = 'loading' | 'ready' | 'busy' | 'done' | 'error';
interface DemoHandle { state: PageState; result?: CodecResult; error?: string; modelId?: string; wasm?: Extract<Reply, { type: 'ready' }>['wasm'] }
declare global { interface Window { nsvqDemo: DemoHandle } }

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

const demo: DemoHandle = { state: 'loading' };
window.nsvqDemo = demo;
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const bitrateSelect = $<HTMLSelectElement>('bitrate');
const status = $('status');
const bar = $<HTMLProgressElement>('progress');
let job = 0;
/** The last input, kept so a bitrate change re-encodes it. */
let lastAudio: AudioPayload | undefined;
const urls: string[] = [];

function setState(state: PageState, text: string): void {
  demo.state = state;
  document.body.dataset.state = state;
  status.textContent = text;
}

for (const rate of BITRATES) {
  const opt = document.createElement('option');
  opt.value = String(rate);
  opt.textContent = `${rate / 1000} kbit/s`;
  if (rate === 13200) opt.selected = true;
  bitrateSelect.append(opt);
}

/** Ogg and MP3 through the browser's decoder, at the file's own rate (decodeAudioData would otherwise resample without anti-aliasing). */
const browserDecode: CompressedDecoder = async (bytes, info) => {
  const rate = info.sampleRate || 48000;
  const ctx = new OfflineAudioContext(1, 1, rate);
  const buffer = await ctx.decodeAudioData(bytes.slice().buffer);
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).slice());
  return { channels, sampleRate: buffer.sampleRate };
};

function post(req: Request, transfer: Transferable[] = []): void {
  worker.postMessage(req, transfer);
}

function run(audio: AudioPayload): void {
  lastAudio = audio;
  if (demo.state === 'loading') return; // runs once the model is ready
  job++;
  setState('busy', `${audio.name}: starting…`);
  bar.value = 0;
  // Keep our copy: the payload is cloned, not transferred, so a bitrate change can re-use it.
  post({ type: 'encode', job, audio, bitrate: Number(bitrateSelect.value) as Bitrate });
}

async function openFile(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (/\.bin$/i.test(file.name)) {
    job++;
    setState('busy', `${file.name}: decoding…`);
    post({ type: 'decode', job, name: file.name, bin: bytes });
    return;
  }
  const info = probeAudio(bytes.subarray(0, 65536));
  if (!info) { setState('error', `${file.name}: not a WAV, FLAC, Ogg or MP3 file, nor a .bin stream`); return; }
  if (info.container === 'wav' || info.container === 'flac') { run({ kind: 'bytes', name: file.name, bytes }); return; }
  try {
    const decoded = await browserDecode(bytes, info);
    run({ kind: 'channels', name: file.name, ...decoded });
  } catch (err) {
    setState('error', `${file.name}: the browser cannot decode this ${info.container} file (${(err as Error).message})`);
  }
}

// --- Input: file picker, drag and drop, microphone -------------------------------------------

$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void openFile(f);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files[0];
  if (f) void openFile(f);
});
bitrateSelect.addEventListener('change', () => { if (lastAudio && demo.state !== 'busy') run(lastAudio); });

let recorder: MediaRecorder | undefined;
const recordButton = $<HTMLButtonElement>('record');
recordButton.addEventListener('click', async () => {
  if (recorder) { recorder.stop(); return; }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  } catch (err) {
    setState('error', `microphone unavailable: ${(err as Error).message}`);
    return;
  }
  const chunks: Blob[] = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((t) => t.stop());
    recorder = undefined;
    recordButton.textContent = '● Record';
    const ctx = new AudioContext();
    try {
      const buffer = await ctx.decodeAudioData(await new Blob(chunks).arrayBuffer());
      const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).slice());
      run({ kind: 'channels', name: 'recording', channels, sampleRate: buffer.sampleRate });
    } catch (err) {
      setState('error', `cannot decode the recording: ${(err as Error).message}`);
    } finally {
      void ctx.close();
    }
  };
  recorder.start();
  recordButton.textContent = '■ Stop';
  setState('ready', 'recording… press Stop to encode');
});

// --- Output -----------------------------------------------------------------------------------

function blobUrl(bytes: Uint8Array, type: string): string {
  // Our bytes always come from postMessage clones or fresh arrays: plain ArrayBuffers.
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  urls.push(url);
  return url;
}

function setMetric(id: string, value: number | undefined, digits: number, unit = ''): void {
  const el = $(id);
  if (value === undefined) { el.textContent = '–'; delete el.dataset.value; return; }
  el.textContent = `${value.toFixed(digits)}${unit}`;
  el.dataset.value = String(value); // full precision, for comparison with `nsvq-codec metrics --json`
}

const origAudio = $<HTMLAudioElement>('play-original');
const decAudio = $<HTMLAudioElement>('play-decoded');

function show(r: CodecResult): void {
  while (urls.length) URL.revokeObjectURL(urls.pop() as string);
  // Visible before drawing: the canvases size themselves from their laid-out width.
  $('results').hidden = false;
  $('original-panel').hidden = r.original === undefined;
  const seconds = r.decoded.length / 16000;
  $('out-name').textContent = r.name;
  $('out-bytes').textContent = `${r.bin.length.toLocaleString('en')} bytes`;
  $('out-rate').textContent = `${r.bitrate / 1000} kbit/s mode, ${((r.bin.length * 8) / seconds / 1000).toFixed(2)} kbit/s with the header, ${seconds.toFixed(2)} s`;
  $('out-model').textContent = r.modelId;
  $('out-time').textContent = [
    r.encodeMs !== undefined ? `encode ${r.encodeMs.toFixed(0)} ms` : '', `decode ${r.decodeMs.toFixed(0)} ms`,
    r.scoreMs !== undefined ? `decode check + scores ${r.scoreMs.toFixed(0)} ms` : '',
  ].filter(Boolean).join(', ');
  setMetric('m-psnr', r.scores?.psnr, 4, ' dB');
  setMetric('m-stoi', r.scores?.stoi, 6);
  setMetric('m-estoi', r.scores?.estoi, 6);
  setMetric('m-pesq', r.scores?.pesq, 3);
  setMetric('m-lag', r.scores?.lag, 0);
  $('score-note').textContent = r.scoreError ? `no scores: ${r.scoreError}` : r.original ? '' : 'no scores: a .bin alone has no original to compare with';
  const base = r.name.replace(/\.[^.]*$/, '');
  const binLink = $<HTMLAnchorElement>('dl-bin');
  binLink.href = blobUrl(r.bin, 'application/octet-stream');
  binLink.download = `${base}-${r.bitrate}.bin`;
  const wavLink = $<HTMLAnchorElement>('dl-wav');
  wavLink.href = blobUrl(r.wav, 'audio/wav');
  wavLink.download = `${base}-${r.bitrate}-decoded.wav`;
  decAudio.src = wavLink.href;
  drawWaveform($('wave-decoded'), r.decoded, '#b3541e');
  drawSpectrogram($('spec-decoded'), r.decoded);
  if (r.original) {
    // The original as the codec saw it (16 kHz mono), so A/B compares like with like.
    origAudio.src = blobUrl(wav16File(r.original, 16000), 'audio/wav');
    drawWaveform($('wave-original'), r.original, '#1e5bb3');
    drawSpectrogram($('spec-original'), r.original);
  }
}

// A/B: one button swaps which version plays, at the same position.
$('ab').addEventListener('click', () => {
  const [from, to] = decAudio.paused && !origAudio.paused ? [origAudio, decAudio] : [decAudio, origAudio];
  const playing = !from.paused;
  to.currentTime = from.currentTime;
  from.pause();
  if (playing || to.paused) void to.play();
  $('ab').textContent = to === origAudio ? 'A/B: original ▶' : 'A/B: decoded ▶';
});

worker.onmessage = (event: MessageEvent<Reply>) => {
  const m = event.data;
  if (m.type === 'ready') {
    demo.modelId = m.modelId;
    demo.wasm = m.wasm;
    $('model-info').textContent = `model ${m.modelId}; WebAssembly kernels: search ${m.wasm.msvqSearch ? 'on' : 'off'}, resampler ${m.wasm.resampler ? 'on' : 'off'}`;
    setState('ready', 'ready: open a file, drop one here, or record');
    if (lastAudio) run(lastAudio);
  } else if (m.type === 'progress') {
    if (m.job !== job) return;
    bar.value = m.fraction;
    status.textContent = `${m.stage}… ${Math.round(100 * m.fraction)}%`;
  } else if (m.type === 'done') {
    if (m.result.job !== job) return;
    demo.result = m.result;
    bar.value = 1;
    show(m.result);
    setState('done', `done: ${m.result.name} at ${m.result.bitrate / 1000} kbit/s`);
  } else if (m.job === job || m.job === -1) {
    demo.error = m.message;
    setState('error', m.message);
  }
};
worker.onerror = (e) => setState('error', `worker failed: ${e.message}`);
