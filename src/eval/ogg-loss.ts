/**
 * Packet loss for Ogg Opus files (issue 14: Opus under exactly our loss patterns). Audio packet
 * i (the packets after the OpusHead and OpusTags headers, RFC 7845 §3) is replaced, when lost[i]
 * is set, by its TOC byte alone with frame-count code 0: one frame of zero bytes, of the lost
 * packet's duration (RFC 6716 §3.2.2). libopus decodes a frame of 0 or 1 bytes with its packet-
 * loss concealment, for that duration only; an empty packet would not do, because opusdec
 * (opusfile) skips packets whose duration it cannot read. Pages keep their granule positions, so
 * the decoded length is unchanged.
 *
 * Pages (RFC 3533): "OggS", version, flags, granule (8), serial (4), sequence (4), CRC (4),
 * segment count, lacing values, body. The CRC is CRC-32 with polynomial 0x04C11DB7, initial
 * value 0, no reflection and no final XOR, over the page with its CRC field zeroed.
 */
import { UserError } from '../errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** The Ogg page CRC of `page` (whose CRC field must be zero). */
export function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ page[i]) & 0xff]) >>> 0;
  return crc;
}

interface Page {
  header: Uint8Array; // the 27 fixed bytes
  lacing: Uint8Array;
  body: Uint8Array;
}

function readPages(file: Uint8Array): Page[] {
  const pages: Page[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (pos + 27 > file.length || file[pos] !== 0x4f || file[pos + 1] !== 0x67 || file[pos + 2] !== 0x67 || file[pos + 3] !== 0x53) {
      throw new UserError(`not an Ogg page at byte ${pos}`);
    }
    const nseg = file[pos + 26];
    const lacing = file.subarray(pos + 27, pos + 27 + nseg);
    let size = 0;
    for (const l of lacing) size += l;
    const start = pos + 27 + nseg;
    if (start + size > file.length) throw new UserError(`truncated Ogg page at byte ${pos}`);
    pages.push({ header: file.subarray(pos, pos + 27), lacing, body: file.subarray(start, start + size) });
    pos = start + size;
  }
  return pages;
}

/**
 * Copy of an Ogg Opus file with audio packet i concealed where lost[i] is 1 (lost may be shorter
 * or longer than the packet count; missing entries count as received). Returns the file and the
 * number of audio packets. Throws a UserError for a packet that spans pages in a page with a
 * loss (opusenc's small CBR packets never do).
 */
export function dropOpusPackets(file: Uint8Array, lost: Uint8Array): { file: Uint8Array; packets: number } {
  const out: Uint8Array[] = [];
  let packetIndex = 0; // packets completed so far, headers included
  for (const page of readPages(file)) {
    // Packets ending on this page, as [start, end) in the body and lacing ranges.
    const firstContinued = (page.header[5] & 1) !== 0;
    const ends: { body: [number, number]; lace: [number, number]; continued: boolean }[] = [];
    let bodyStart = 0;
    let laceStart = 0;
    let off = 0;
    for (let s = 0; s < page.lacing.length; s++) {
      off += page.lacing[s];
      if (page.lacing[s] < 255) {
        ends.push({ body: [bodyStart, off], lace: [laceStart, s + 1], continued: ends.length === 0 && firstContinued });
        bodyStart = off;
        laceStart = s + 1;
      }
    }
    const openTail = laceStart < page.lacing.length; // a packet continues on the next page
    const drops = ends.map((_, i) => {
      const audio = packetIndex + i - 2;
      return audio >= 0 && audio < lost.length && lost[audio] === 1;
    });
    if (!drops.some(Boolean)) {
      out.push(page.header, page.lacing, page.body);
    } else {
      if (openTail || ends.some((e, i) => drops[i] && e.continued)) {
        throw new UserError('an Opus packet to drop spans two Ogg pages (not supported)');
      }
      const lacing: number[] = [];
      const body: Uint8Array[] = [];
      ends.forEach((e, i) => {
        if (drops[i]) {
          if (e.body[1] === e.body[0]) throw new UserError('an Opus audio packet is empty (no TOC byte)');
          lacing.push(1);
          body.push(Uint8Array.of(page.body[e.body[0]] & 0xfc));
        } else {
          for (let s = e.lace[0]; s < e.lace[1]; s++) lacing.push(page.lacing[s]);
          body.push(page.body.subarray(e.body[0], e.body[1]));
        }
      });
      const bodyLen = body.reduce((a, b) => a + b.length, 0);
      const pg = new Uint8Array(27 + lacing.length + bodyLen);
      pg.set(page.header, 0);
      pg[26] = lacing.length;
      pg.set(lacing, 27);
      let p = 27 + lacing.length;
      for (const b of body) {
        pg.set(b, p);
        p += b.length;
      }
      pg.fill(0, 22, 26);
      new DataView(pg.buffer).setUint32(22, oggCrc(pg), true);
      out.push(pg);
    }
    packetIndex += ends.length;
  }
  const total = out.reduce((a, b) => a + b.length, 0);
  const result = new Uint8Array(total);
  let p = 0;
  for (const b of out) {
    result.set(b, p);
    p += b.length;
  }
  return { file: result, packets: Math.max(0, packetIndex - 2) };
}
