/**
 * Training checkpoints: the complete TrainerState (parameters, Adam moments, usage window, EMA
 * statistics, step) plus the run's progress (data position, wall time), so that `--resume`
 * continues a killed run exactly (issue 6).
 *
 * File layout: magic "NSVQCKPT", u32 format version, u32 header length, UTF-8 JSON header, zero
 * padding to a multiple of 8, the arrays (little-endian float32/float64 in header order), CRC-32
 * of everything before it. Written atomically, so a kill during the write leaves the previous
 * checkpoint intact.
 */
import { existsSync, readFileSync } from 'node:fs';
import { CorruptDataError, UserError } from '../errors.js';
import { crc32 } from '../model/codec-model.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { TrainerConfig, TrainerState } from './trainer.js';

const MAGIC = 'NSVQCKPT';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE_NAME = 'checkpoint.nsvqc';

/** Where a run stands outside the trainer: what to restore besides the trainer state. */
export interface RunProgress {
  /** Epoch (0-based) and batch within it of the *next* step. */
  epoch: number;
  batchInEpoch: number;
  /** Wall-clock seconds spent training before this checkpoint (summed over resumed sessions). */
  wallSeconds: number;
  /** Identifies the data the order refers to (file list and frame counts). */
  dataFingerprint: string;
  /** Free-form settings of the run that a resume must keep (batch, epochs, …). */
  settings: Record<string, unknown>;
}

interface ArrayEntry {
  name: string;
  type: 'f32' | 'f64';
  length: number;
}

interface Header {
  format: 'nsvq-train-checkpoint';
  config: TrainerConfig;
  step: number;
  usageBatches: number;
  replacedTotal: number[];
  stages: number;
  adamTensors: number;
  emaStages: number;
  progress: RunProgress;
  arrays: ArrayEntry[];
}

function arraysOf(st: TrainerState): Array<[string, Float32Array | Float64Array]> {
  const list: Array<[string, Float32Array | Float64Array]> = [
    ['alpha', st.alpha],
    ['beta', st.beta],
    ['theta', st.theta],
  ];
  st.codebooks.forEach((c, i) => list.push([`codebook${i}`, c]));
  st.adamM.forEach((c, i) => list.push([`adamM${i}`, c]));
  st.adamV.forEach((c, i) => list.push([`adamV${i}`, c]));
  st.usage.forEach((c, i) => list.push([`usage${i}`, c]));
  st.counts.forEach((c, i) => list.push([`counts${i}`, c]));
  st.emaCounts.forEach((c, i) => list.push([`emaCounts${i}`, c]));
  st.emaSums.forEach((c, i) => list.push([`emaSums${i}`, c]));
  return list;
}

export function serializeCheckpoint(st: TrainerState, progress: RunProgress): Uint8Array {
  const arrays = arraysOf(st);
  const header: Header = {
    format: 'nsvq-train-checkpoint',
    config: st.config,
    step: st.step,
    usageBatches: st.usageBatches,
    replacedTotal: st.replacedTotal,
    stages: st.codebooks.length,
    adamTensors: st.adamM.length,
    emaStages: st.emaCounts.length,
    progress,
    arrays: arrays.map(([name, a]) => ({ name, type: a instanceof Float64Array ? 'f64' : 'f32', length: a.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let size = 16 + json.length;
  size = Math.ceil(size / 8) * 8;
  const dataStart = size;
  for (const [, a] of arrays) size += a.byteLength;
  const out = new Uint8Array(size + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  let pos = dataStart;
  for (const [, a] of arrays) {
    if (a instanceof Float64Array) {
      for (let i = 0; i < a.length; i++) view.setFloat64(pos + 8 * i, a[i], true);
    } else {
      for (let i = 0; i < a.length; i++) view.setFloat32(pos + 4 * i, a[i], true);
    }
    pos += a.byteLength;
  }
  view.setUint32(size, crc32(out, 0, size), true);
  return out;
}

export function parseCheckpoint(bytes: Uint8Array): { state: TrainerState; progress: RunProgress } {
  const bad = (m: string): CorruptDataError => new CorruptDataError(`invalid training checkpoint: ${m}`);
  if (bytes.length < 20) throw bad('file too short');
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad('wrong magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 4;
  if (view.getUint32(end, true) !== crc32(bytes, 0, end)) throw bad('checksum mismatch (file is damaged)');
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw bad(`unsupported version ${version}`);
  const jsonLen = view.getUint32(12, true);
  if (16 + jsonLen > end) throw bad('header runs past the end');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + jsonLen))) as Header;
  } catch {
    throw bad('header is not valid JSON');
  }
  if (header.format !== 'nsvq-train-checkpoint' || !Array.isArray(header.arrays)) throw bad('not a training checkpoint header');
  let pos = Math.ceil((16 + jsonLen) / 8) * 8;
  const byName = new Map<string, Float32Array | Float64Array>();
  for (const a of header.arrays) {
    const width = a.type === 'f64' ? 8 : 4;
    if (!Number.isInteger(a.length) || a.length < 0 || pos + a.length * width > end) throw bad(`array ${a.name} runs past the end`);
    if (a.type === 'f64') {
      const arr = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) arr[i] = view.getFloat64(pos + 8 * i, true);
      byName.set(a.name, arr);
    } else {
      const arr = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) arr[i] = view.getFloat32(pos + 4 * i, true);
      byName.set(a.name, arr);
    }
    pos += a.length * width;
  }
  if (pos !== end) throw bad('unexpected bytes after the arrays');
  const f32 = (n: string): Float32Array => {
    const a = byName.get(n);
    if (!(a instanceof Float32Array)) throw bad(`missing array ${n}`);
    return a;
  };
  const f64 = (n: string): Float64Array => {
    const a = byName.get(n);
    if (!(a instanceof Float64Array)) throw bad(`missing array ${n}`);
    return a;
  };
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const state: TrainerState = {
    config: header.config,
    step: header.step,
    alpha: f32('alpha'),
    beta: f32('beta'),
    theta: f32('theta'),
    codebooks: range(header.stages).map((i) => f32(`codebook${i}`)),
    adamM: range(header.adamTensors).map((i) => f32(`adamM${i}`)),
    adamV: range(header.adamTensors).map((i) => f32(`adamV${i}`)),
    usage: range(header.stages).map((i) => f64(`usage${i}`)),
    usageBatches: header.usageBatches,
    counts: range(header.stages).map((i) => f64(`counts${i}`)),
    emaCounts: range(header.emaStages).map((i) => f64(`emaCounts${i}`)),
    emaSums: range(header.emaStages).map((i) => f64(`emaSums${i}`)),
    replacedTotal: header.replacedTotal,
  };
  return { state, progress: header.progress };
}

export async function writeCheckpoint(file: string, st: TrainerState, progress: RunProgress): Promise<void> {
  await writeFileAtomic(file, serializeCheckpoint(st, progress));
}

export function readCheckpoint(file: string): { state: TrainerState; progress: RunProgress } {
  if (!existsSync(file)) throw new UserError(`no checkpoint to resume from: ${file} does not exist`);
  try {
    return parseCheckpoint(readFileSync(file));
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${file}: ${err.message}`);
    throw err;
  }
}
