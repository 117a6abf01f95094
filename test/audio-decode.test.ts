import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudioFile } from '../src/audio/decode.js';
import { probeAudio } from '../src/audio/probe.js';
import { UserError } from '../src/errors.js';
import { HAVE_SHARED, SPEECH_DIR, noteSkip } from './helpers/shared.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'audio');

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'nsvq-audio-decode-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** STREAMINFO for `rate` Hz, `channels`, 16 bits, `total` samples, wrapped as a native FLAC head. */
function flacHead(rate: number, channels: number, total: number): Uint8Array {
  const b = new Uint8Array(8 + 34);
  b.set([0x66, 0x4c, 0x61, 0x43], 0); // fLaC
  b.set([0x80, 0, 0, 34], 4); // last-metadata-block flag, type 0 STREAMINFO, length 34
  const s = 8;
  b[s + 10] = (rate >> 12) & 0xff;
  b[s + 11] = (rate >> 4) & 0xff;
  b[s + 12] = ((rate & 0x0f) << 4) | ((channels - 1) << 1) | 0; // bps-1 = 15 → top bit 0
  b[s + 13] = 0xf0 | Math.floor(total / 2 ** 32);
  b[s + 14] = (total >>> 24) & 0xff;
  b[s + 15] = (total >>> 16) & 0xff;
  b[s + 16] = (total >>> 8) & 0xff;
  b[s + 17] = total & 0xff;
  return b;
}

/** One Ogg page holding `packet` (single segment table, no CRC check needed by the probe). */
function oggPage(packet: Uint8Array): Uint8Array {
  const segs: number[] = [];
  let left = packet.length;
  while (left >= 255) { segs.push(255); left -= 255; }
  segs.push(left);
  const b = new Uint8Array(27 + segs.length + packet.length);
  b.set([0x4f, 0x67, 0x67, 0x53], 0); // OggS
  b[5] = 2; // beginning of stream
  b[26] = segs.length;
  b.set(segs, 27);
  b.set(packet, 27 + segs.length);
  return b;
}

function ascii(s: string): number[] { return [...s].map((c) => c.charCodeAt(0)); }

describe('probeAudio reads the native rate from headers', () => {
  it('FLAC STREAMINFO (rate, channels, total samples), also behind an ID3v2 tag', () => {
    expect(probeAudio(flacHead(22050, 1, 176029))).toEqual({ container: 'flac', sampleRate: 22050, channels: 1, totalFrames: 176029 });
    const id3 = new Uint8Array(10 + 300);
    id3.set([...ascii('ID3'), 4, 0, 0, 0, 0, 2, 44], 0); // sync-safe size 2·128 + 44 = 300
    const withTag = new Uint8Array(id3.length + 42);
    withTag.set(id3);
    withTag.set(flacHead(96000, 2, 5), id3.length);
    expect(probeAudio(withTag)).toMatchObject({ container: 'flac', sampleRate: 96000, channels: 2, totalFrames: 5 });
  });
  it('Ogg Vorbis identification header', () => {
    const id = new Uint8Array(30);
    id.set([1, ...ascii('vorbis'), 0, 0, 0, 0, 2], 0);
    new DataView(id.buffer).setUint32(12, 44100, true);
    expect(probeAudio(oggPage(id))).toMatchObject({ container: 'ogg-vorbis', sampleRate: 44100, channels: 2 });
  });
  it('Ogg Opus always decodes at 48 kHz', () => {
    const head = new Uint8Array(19);
    head.set([...ascii('OpusHead'), 1, 1], 0);
    new DataView(head.buffer).setUint32(12, 16000, true); // input rate is informational only
    expect(probeAudio(oggPage(head))).toMatchObject({ container: 'ogg-opus', sampleRate: 48000 });
  });
  it('Ogg FLAC', () => {
    const p = new Uint8Array(9 + 42);
    p.set([0x7f, ...ascii('FLAC'), 1, 0, 0, 1], 0);
    p.set(flacHead(32000, 1, 1000), 9);
    expect(probeAudio(oggPage(p))).toMatchObject({ container: 'ogg-flac', sampleRate: 32000 });
  });
  it('MP3: two consecutive Layer III frames after an ID3v2 tag', () => {
    // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames.
    const frame = new Uint8Array(417);
    frame.set([0xff, 0xfb, 0x90, 0x00]);
    const id3 = new Uint8Array(10 + 20);
    id3.set([...ascii('ID3'), 3, 0, 0, 0, 0, 0, 20]);
    const b = new Uint8Array(id3.length + 2 * frame.length);
    b.set(id3);
    b.set(frame, id3.length);
    b.set(frame, id3.length + frame.length);
    expect(probeAudio(b)).toMatchObject({ container: 'mp3', sampleRate: 44100 });
    // MPEG-2 Layer III at 24 kHz, 64 kbit/s: 576·64000/8/24000 = 192-byte frames.
    const f2 = new Uint8Array(192);
    f2.set([0xff, 0xf3, 0x84, 0xc0]);
    const b2 = new Uint8Array(384);
    b2.set(f2);
    b2.set(f2, 192);
    expect(probeAudio(b2)).toMatchObject({ container: 'mp3', sampleRate: 24000, channels: 1 });
  });
  it('an isolated false MPEG sync in junk is not taken for MP3', () => {
    const junk = new Uint8Array(5000).fill(0x20);
    junk.set([0xff, 0xfb, 0x90, 0x00], 100);
    expect(probeAudio(junk)).toBeUndefined();
  });
});

describe('compressed formats through node-web-audio-api', () => {
  it('Opus (not in the decoder) is a one-line UserError naming the format', async () => {
    const err = await decodeAudioFile(path.join(FIXTURES, 'tone-1k-24k.opus')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^not a supported audio file: .*tone-1k-24k\.opus \(Ogg Opus is not supported by the decoder; convert it to WAV or FLAC\)$/);
    expect((err as Error).message).not.toContain('\n');
  });
  it('MP3 decodes at its native rate: 20 silent MPEG-1 Layer III frames at 32 kHz → 23040 samples', async () => {
    // 128 kbit/s, 32 kHz, mono, no CRC: 144·128000/32000 = 576-byte frames; all-zero side
    // information codes an empty spectrum, i.e. silence.
    const frame = new Uint8Array(576);
    frame.set([0xff, 0xfb, 0x98, 0xc0]);
    const b = new Uint8Array(20 * 576);
    for (let i = 0; i < 20; i++) b.set(frame, i * 576);
    const p = path.join(dir, 'silence.mp3');
    writeFileSync(p, b);
    const d = await decodeAudioFile(p);
    expect(d.sampleRate).toBe(32000);
    expect(d.channels.length).toBe(1);
    expect(d.channels[0].length).toBe(20 * 1152);
    expect(d.channels[0].every((v) => v === 0)).toBe(true);
  });

  it('a FLAC header followed by garbage is a UserError', async () => {
    const b = new Uint8Array(4000);
    b.set(flacHead(16000, 1, 1000));
    for (let i = 42; i < b.length; i++) b[i] = (i * 37) & 0xff;
    const p = path.join(dir, 'garbage.flac');
    writeFileSync(p, b);
    const err = await decodeAudioFile(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/garbage\.flac/);
  });
});

describe.skipIf(!HAVE_SHARED)('FLAC from ../shared/speech decodes at its native rate', () => {
  noteSkip('audio-decode FLAC');
  const lj = path.join(SPEECH_DIR, 'LJSpeech');
  const ljFile = HAVE_SHARED ? path.join(lj, readdirSync(lj).filter((f) => f.endsWith('.flac')).sort()[0]) : '';
  const libri = path.join(SPEECH_DIR, 'LibriSpeech', 'dev-clean', '2412', '153948', '2412-153948-0000.flac');

  it('LJSpeech: 22.05 kHz, length equals STREAMINFO total samples', async () => {
    const info = probeAudio(readFileSync(ljFile));
    expect(info).toMatchObject({ container: 'flac', sampleRate: 22050, channels: 1 });
    const d = await decodeAudioFile(ljFile);
    expect(d.sampleRate).toBe(22050);
    expect(d.channels.length).toBe(1);
    expect(d.channels[0].length).toBe(info!.totalFrames);
    let peak = 0;
    let energy = 0;
    for (const v of d.channels[0]) { peak = Math.max(peak, Math.abs(v)); energy += v * v; }
    expect(peak).toBeGreaterThan(0.05);
    expect(peak).toBeLessThanOrEqual(1);
    expect(energy / d.channels[0].length).toBeGreaterThan(1e-5); // speech, not silence
  });

  it('LibriSpeech: 16 kHz, native length', async () => {
    const info = probeAudio(readFileSync(libri));
    const d = await decodeAudioFile(libri);
    expect(d.sampleRate).toBe(16000);
    expect(d.channels[0].length).toBe(info!.totalFrames);
  });

  it('a truncated FLAC is reported, not silently shortened', async () => {
    const bytes = readFileSync(ljFile);
    const p = path.join(dir, 'cut.flac');
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await decodeAudioFile(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^truncated FLAC file: .*cut\.flac: expected \d+ samples per channel, decoded \d+$/);
  });
});
