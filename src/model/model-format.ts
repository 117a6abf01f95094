/**
 * The codec model: envelope matrices A and B, the MSVQ codebooks, the stage table per mode,
 * optional entropy-model parameters and a model card — and its binary file format.
 *
 * File format (version 1), all integers little-endian u32 unless noted:
 *
 *   0   magic "NSVQMODL" (8 bytes)
 *   8   version (=1), flags (=0, reserved)
 *   16  bins, bands, stageBits, stageCount, modeCount, sectionCount
 *   40  modeCount × (bitrate, stages)
 *       sectionCount × section: tag (4 ASCII bytes), payload byte length, payload,
 *                               zero padding to a multiple of 4
 *   end CRC-32 (IEEE) of every byte before it
 *
 * Sections (PNG-style: an upper-case first letter is critical, so an unknown one is an error;
 * a lower-case one is ancillary and skipped by readers that do not know it):
 *   AMAT  A, bands×bins float32 (required)
 *   BMAT  B, bins×bands float32 (required)
 *   CBKS  codebooks, stageCount × 2^stageBits × bands float32 (required)
 *   ENTM  entropy-model parameters: u32 kind length, kind (UTF-8), pad to 4, float32 params
 *   card  model card, UTF-8 JSON object
 *
 * Every size is checked against the bytes actually present before anything is allocated, so
 * a corrupt or hostile file costs at most its own size in memory.
 *
 * This module has no Node built-ins (the browser entry uses it); reading model files from disk
 * is codec-model.ts.
 */
import { CorruptDataError } from '../errors.js';
import { portableExp, portableLog } from '../dsp/portable-math.js';
import { sha256Hex } from '../util/sha256.js';

/** Parameters of a learned entropy model (issue 6); `kind` names the layout of `params`. */
export interface EntropyModelParams {
  kind: string;
  params: Float32Array;
}

export interface CodecModel {
  /** 16 hex chars: the start of the sha256 of the model file bytes. */
  id: string;
  /** MDCT bins per frame (320). */
  bins: number;
  /** Envelope dimensions (16). */
  bands: number;
  /** A, bands×bins row-major: ν = A·X². */
  analysis: Float32Array;
  /** B, bins×bands row-major: s = B·exp(ê). */
  synthesis: Float32Array;
  /** Bits per MSVQ stage (12). */
  stageBits: number;
  /** One per stage, (2^stageBits)×bands row-major. */
  codebooks: Float32Array[];
  /** Bitrate in bit/s as a decimal string ('8000', …) → number of stages used. */
  stagesPerMode: Record<string, number>;
  /** Optional learned entropy-model parameters (absent in the residual-k-means model). */
  entropyModel?: EntropyModelParams;
  /** Model card: how the model was made and what it measured. */
  card?: Record<string, unknown>;
}

export const MODEL_FILE_NAME = 'model.nsvqm';
export const MODEL_FORMAT_VERSION = 1;
const MAGIC = 'NSVQMODL';
const FIXED_HEADER_BYTES = 40;

// Sanity bounds: generous for any model this project could train, small enough that a
// corrupt header cannot describe something absurd.
const MAX_BINS = 4096;
const MAX_BANDS = 256;
const MAX_STAGE_BITS = 16;
const MAX_STAGES = 32;
const MAX_MODES = 64;
const MAX_SECTIONS = 64;

/**
 * Floor ε added to the band powers before the log, e = log(A·X² + ε). 1e-10 is about the
 * power of 16-bit quantization noise ((2^-15)²/12 ≈ 7.8e-11 per sample; the orthonormal MDCT
 * keeps per-bin power equal to per-sample power), so it only matters for digital silence and
 * keeps e finite there (e ≥ log ε ≈ −23.0).
 */
export const ENVELOPE_FLOOR = 1e-10;

// ---------------------------------------------------------------------------------------------
// Envelope

/** e = log(A·X² + ε), DESIGN §1. X is one frame of `bins` MDCT coefficients (portable log: issue 5). */
export function envelopeOf(model: CodecModel, X: ArrayLike<number>, out?: Float64Array): Float64Array {
  const { bins, bands, analysis } = model;
  if (X.length !== bins) throw new RangeError(`envelopeOf: frame has ${X.length} coefficients, model expects ${bins}`);
  const e = out ?? new Float64Array(bands);
  const power = new Float64Array(bins);
  for (let k = 0; k < bins; k++) power[k] = X[k] * X[k];
  for (let b = 0; b < bands; b++) {
    let acc = 0;
    const row = b * bins;
    for (let k = 0; k < bins; k++) acc += analysis[row + k] * power[k];
    e[b] = portableLog(acc + ENVELOPE_FLOOR);
  }
  return e;
}

/** s = B·exp(ê), DESIGN §1: the per-bin variance the (quantized) envelope predicts (portable exp: issue 5). */
export function varianceFromEnvelope(model: CodecModel, eHat: ArrayLike<number>, out?: Float64Array): Float64Array {
  const { bins, bands, synthesis } = model;
  if (eHat.length !== bands) throw new RangeError(`varianceFromEnvelope: envelope has ${eHat.length} values, model expects ${bands}`);
  const s = out ?? new Float64Array(bins);
  const level = new Float64Array(bands);
  for (let b = 0; b < bands; b++) level[b] = portableExp(eHat[b]);
  for (let k = 0; k < bins; k++) {
    let acc = 0;
    const row = k * bands;
    for (let b = 0; b < bands; b++) acc += synthesis[row + b] * level[b];
    s[k] = acc;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Identity and checksum

/** The model id: the first 16 hex chars of the sha256 of the model file's bytes. */
export function modelIdOf(bytes: Uint8Array): string {
  return sha256Hex(bytes).slice(0, 16);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** CRC-32 (IEEE 802.3, reflected, as in zlib/PNG). codec-model.ts has a native-accelerated one for Node. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Serialization

class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u16(v: number): void { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.reserve(4); this.view.setUint32(this.length, v >>> 0, true); this.length += 4; }
  bytes(b: Uint8Array): void { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }
  f32s(a: Float32Array): void {
    this.reserve(a.length * 4);
    for (let i = 0; i < a.length; i++) this.view.setFloat32(this.length + 4 * i, a[i], true);
    this.length += a.length * 4;
  }
  pad4(): void { while (this.length % 4 !== 0) { this.reserve(1); this.buf[this.length++] = 0; } }
  setU32(at: number, v: number): void { this.view.setUint32(at, v >>> 0, true); }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

const utf8 = new TextEncoder();

/** Write a model file. Validates the model first (same rules as `parseModel`). */
export function serializeModel(m: Omit<CodecModel, 'id'>): Uint8Array {
  validateModelFields(m, (msg) => new RangeError(`serializeModel: ${msg}`));
  const sink = new ByteSink();
  sink.bytes(utf8.encode(MAGIC));
  sink.u16(MODEL_FORMAT_VERSION);
  sink.u16(0);
  sink.u32(0); // reserved flags, kept at 32-bit alignment
  const modes = sortedModes(m.stagesPerMode);
  const sections: Array<[string, (s: ByteSink) => void]> = [
    ['AMAT', (s) => s.f32s(m.analysis)],
    ['BMAT', (s) => s.f32s(m.synthesis)],
    ['CBKS', (s) => { for (const cb of m.codebooks) s.f32s(cb); }],
  ];
  if (m.entropyModel) {
    const em = m.entropyModel;
    sections.push(['ENTM', (s) => {
      const kind = utf8.encode(em.kind);
      s.u32(kind.length);
      s.bytes(kind);
      s.pad4();
      s.f32s(em.params);
    }]);
  }
  if (m.card) {
    const card = utf8.encode(JSON.stringify(m.card));
    sections.push(['card', (s) => s.bytes(card)]);
  }
  sink.u32(m.bins);
  sink.u32(m.bands);
  sink.u32(m.stageBits);
  sink.u32(m.codebooks.length);
  sink.u32(modes.length);
  sink.u32(sections.length);
  for (const [rate, stages] of modes) { sink.u32(rate); sink.u32(stages); }
  for (const [tag, write] of sections) {
    sink.bytes(utf8.encode(tag));
    const lenAt = sink.length;
    sink.u32(0);
    const start = sink.length;
    write(sink);
    sink.setU32(lenAt, sink.length - start);
    sink.pad4();
  }
  const body = sink.length;
  sink.u32(0);
  const out = sink.result();
  new DataView(out.buffer).setUint32(body, crc32(out, 0, body), true);
  return out;
}

function sortedModes(table: Record<string, number>): Array<[number, number]> {
  return Object.entries(table)
    .map(([k, v]) => [Number(k), v] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

// ---------------------------------------------------------------------------------------------
// Parsing

class ByteSource {
  readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) throw new CorruptDataError(`model file is truncated or corrupt: ${what} runs past the end of the file`);
  }
  u16(what: string): number { this.need(2, what); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  f32s(n: number, what: string): Float32Array {
    this.need(n * 4, what);
    const at = this.bytes.byteOffset + this.pos;
    let a: Float32Array;
    if (LITTLE_ENDIAN_HOST && at % 4 === 0) {
      // One copy of the bytes (the file is little-endian like the host): an element loop costs
      // ~10 ms at start-up on the 1.3 MB model while still interpreted (issue 15).
      a = new Float32Array(this.bytes.buffer.slice(at, at + n * 4));
    } else {
      a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = this.view.getFloat32(this.pos + 4 * i, true);
    }
    this.pos += n * 4;
    return a;
  }
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * The two digests parseModel computes over the whole file. Portable by default; the Node loader
 * passes native ones (same values, faster on a cold start: issue 15).
 */
export interface ModelDigests {
  crc32(bytes: Uint8Array, start: number, end: number): number;
  modelId(bytes: Uint8Array): string;
}

const PORTABLE_DIGESTS: ModelDigests = { crc32, modelId: modelIdOf };

/** Read and fully validate a model file. Any problem is a CorruptDataError with a clear message. */
export function parseModel(bytes: Uint8Array, digests: ModelDigests = PORTABLE_DIGESTS): CodecModel {
  const bad = (msg: string): CorruptDataError => new CorruptDataError(`invalid model file: ${msg}`);
  if (bytes.length < FIXED_HEADER_BYTES + 4) throw bad(`only ${bytes.length} bytes, too short to be a model`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad('wrong magic (not an nsvq-codec model file)');
  }
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end, true);
  const actual = digests.crc32(bytes, 0, end);
  const src = new ByteSource(bytes, end);
  src.pos = MAGIC.length;
  const version = src.u16('version');
  if (version !== MODEL_FORMAT_VERSION) throw bad(`unsupported format version ${version} (this build reads version ${MODEL_FORMAT_VERSION})`);
  if (stored !== actual) throw bad(`checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)}): the file is corrupt`);
  src.u16('flags');
  src.u32('reserved');
  const bins = src.u32('bins');
  const bands = src.u32('bands');
  const stageBits = src.u32('stage bits');
  const stageCount = src.u32('stage count');
  const modeCount = src.u32('mode count');
  const sectionCount = src.u32('section count');
  if (bins < 1 || bins > MAX_BINS) throw bad(`bins = ${bins} is outside 1…${MAX_BINS}`);
  if (bands < 1 || bands > Math.min(MAX_BANDS, bins)) throw bad(`bands = ${bands} is outside 1…${Math.min(MAX_BANDS, bins)}`);
  if (stageBits < 1 || stageBits > MAX_STAGE_BITS) throw bad(`stage bits = ${stageBits} is outside 1…${MAX_STAGE_BITS}`);
  if (stageCount < 1 || stageCount > MAX_STAGES) throw bad(`stage count = ${stageCount} is outside 1…${MAX_STAGES}`);
  if (modeCount < 1 || modeCount > MAX_MODES) throw bad(`mode count = ${modeCount} is outside 1…${MAX_MODES}`);
  if (sectionCount > MAX_SECTIONS) throw bad(`section count = ${sectionCount} exceeds ${MAX_SECTIONS}`);

  const stagesPerMode: Record<string, number> = {};
  for (let i = 0; i < modeCount; i++) {
    const rate = src.u32('mode table');
    const stages = src.u32('mode table');
    const key = String(rate);
    if (key in stagesPerMode) throw bad(`mode ${rate} appears twice in the stage table`);
    stagesPerMode[key] = stages;
  }

  const codewords = 2 ** stageBits;
  let analysis: Float32Array | undefined;
  let synthesis: Float32Array | undefined;
  let codebooks: Float32Array[] | undefined;
  let entropyModel: EntropyModelParams | undefined;
  let card: Record<string, unknown> | undefined;
  const seen = new Set<string>();
  for (let i = 0; i < sectionCount; i++) {
    src.need(8, 'section header');
    const tag = String.fromCharCode(bytes[src.pos], bytes[src.pos + 1], bytes[src.pos + 2], bytes[src.pos + 3]);
    src.pos += 4;
    if (!/^[A-Za-z0-9]{4}$/.test(tag)) throw bad(`section ${i} has an unreadable tag`);
    const len = src.u32(`section ${tag} length`);
    src.need(len, `section ${tag}`);
    const payloadStart = src.pos;
    if (seen.has(tag)) throw bad(`section ${tag} appears twice`);
    seen.add(tag);
    const expectF32 = (n: number): Float32Array => {
      if (len !== n * 4) throw bad(`section ${tag} holds ${len} bytes, expected ${n * 4}`);
      return src.f32s(n, `section ${tag}`);
    };
    switch (tag) {
      case 'AMAT': analysis = expectF32(bands * bins); break;
      case 'BMAT': synthesis = expectF32(bins * bands); break;
      case 'CBKS': {
        const per = codewords * bands;
        if (len !== stageCount * per * 4) throw bad(`section CBKS holds ${len} bytes, expected ${stageCount * per * 4} for ${stageCount} stages of ${codewords}×${bands}`);
        codebooks = [];
        for (let s = 0; s < stageCount; s++) codebooks.push(src.f32s(per, 'section CBKS'));
        break;
      }
      case 'ENTM': {
        const sub = new ByteSource(bytes, payloadStart + len);
        sub.pos = payloadStart;
        const kindLen = sub.u32('entropy-model kind length');
        if (kindLen > 256) throw bad(`entropy-model kind is ${kindLen} bytes long (max 256)`);
        sub.need(kindLen, 'entropy-model kind');
        const kind = decodeText(bytes.subarray(sub.pos, sub.pos + kindLen), 'entropy-model kind', bad);
        sub.pos += kindLen;
        while (sub.pos % 4 !== 0) sub.pos++;
        const rest = payloadStart + len - sub.pos;
        if (rest < 0 || rest % 4 !== 0) throw bad('entropy-model parameters are not a whole number of float32 values');
        const params = sub.f32s(rest / 4, 'entropy-model parameters');
        requireFinite(params, 'entropy-model parameters', bad);
        entropyModel = { kind, params };
        break;
      }
      case 'card': {
        const text = decodeText(bytes.subarray(payloadStart, payloadStart + len), 'model card', bad);
        let parsed: unknown;
        try { parsed = JSON.parse(text); } catch { throw bad('model card is not valid JSON'); }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('model card is not a JSON object');
        card = parsed as Record<string, unknown>;
        break;
      }
      default:
        if (tag.charCodeAt(0) >= 65 && tag.charCodeAt(0) <= 90) {
          throw bad(`unknown critical section ${tag} (made by a newer version?)`);
        }
        // Unknown ancillary section: skip.
    }
    src.pos = payloadStart + len;
    while (src.pos % 4 !== 0) {
      src.need(1, `padding after section ${tag}`);
      if (bytes[src.pos] !== 0) throw bad(`non-zero padding after section ${tag}`);
      src.pos++;
    }
  }
  if (src.pos !== end) throw bad(`${end - src.pos} unexpected bytes after the last section`);
  if (!analysis) throw bad('missing section AMAT (analysis matrix A)');
  if (!synthesis) throw bad('missing section BMAT (synthesis matrix B)');
  if (!codebooks) throw bad('missing section CBKS (codebooks)');

  const model: CodecModel = { id: digests.modelId(bytes), bins, bands, analysis, synthesis, stageBits, codebooks, stagesPerMode };
  if (entropyModel) model.entropyModel = entropyModel;
  if (card) model.card = card;
  validateModelFields(model, bad);
  return model;
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}

function decodeText(b: Uint8Array, what: string, bad: (m: string) => Error): string {
  try { return utf8Strict.decode(b); } catch { throw bad(`${what} is not valid UTF-8`); }
}

function requireFinite(a: Float32Array, what: string, bad: (m: string) => Error): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw bad(`${what} contains a non-finite value at index ${i}`);
}

/**
 * The semantic rules every model obeys, shared by writer and reader: consistent sizes, finite
 * values, A and B non-negative with every row of positive sum (ν and s are powers, and log ν
 * must exist), stage counts per mode within the codebooks present.
 */
function validateModelFields(m: Omit<CodecModel, 'id'>, bad: (m: string) => Error): void {
  const { bins, bands, stageBits } = m;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) throw bad(`bins = ${bins} is outside 1…${MAX_BINS}`);
  if (!Number.isInteger(bands) || bands < 1 || bands > Math.min(MAX_BANDS, bins)) throw bad(`bands = ${bands} is invalid`);
  if (!Number.isInteger(stageBits) || stageBits < 1 || stageBits > MAX_STAGE_BITS) throw bad(`stage bits = ${stageBits} is invalid`);
  if (m.analysis.length !== bands * bins) throw bad(`A has ${m.analysis.length} values, expected ${bands * bins}`);
  if (m.synthesis.length !== bins * bands) throw bad(`B has ${m.synthesis.length} values, expected ${bins * bands}`);
  checkNonNegativeRows(m.analysis, bands, bins, 'A', bad);
  checkNonNegativeRows(m.synthesis, bins, bands, 'B', bad);
  if (m.codebooks.length < 1 || m.codebooks.length > MAX_STAGES) throw bad(`${m.codebooks.length} codebooks (expected 1…${MAX_STAGES})`);
  const per = 2 ** stageBits * bands;
  m.codebooks.forEach((cb, s) => {
    if (cb.length !== per) throw bad(`codebook ${s} has ${cb.length} values, expected ${per}`);
    requireFinite(cb, `codebook ${s}`, bad);
  });
  const modes = Object.entries(m.stagesPerMode);
  if (modes.length < 1 || modes.length > MAX_MODES) throw bad(`the stage table has ${modes.length} modes (expected 1…${MAX_MODES})`);
  for (const [rate, stages] of modes) {
    if (!/^[1-9][0-9]{0,8}$/.test(rate)) throw bad(`mode "${rate}" is not a bitrate in bit/s`);
    if (!Number.isInteger(stages) || stages < 1 || stages > m.codebooks.length) {
      throw bad(`mode ${rate} uses ${stages} stages, but the model has ${m.codebooks.length}`);
    }
  }
  if (m.entropyModel) {
    if (m.entropyModel.kind.length === 0) throw bad('entropy model has an empty kind');
    requireFinite(m.entropyModel.params, 'entropy-model parameters', bad);
  }
}

function checkNonNegativeRows(mat: Float32Array, rows: number, cols: number, name: string, bad: (m: string) => Error): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const v = mat[r * cols + c];
      if (!Number.isFinite(v) || v < 0) throw bad(`${name}[${r},${c}] = ${v} (must be finite and ≥ 0)`);
      sum += v;
    }
    if (!(sum > 0)) throw bad(`row ${r} of ${name} is all zero`);
  }
}
