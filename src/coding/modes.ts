/**
 * The six constant-bitrate modes (the 3GPP EVS wideband rates, DESIGN §1 "Bitstream").
 * Every 20 ms frame has exactly bitrate/50 bits, a whole number of bytes.
 */
import { UserError } from '../errors.js';

export const BITRATES = [8000, 9600, 13200, 16400, 24400, 32000] as const;
export type Bitrate = typeof BITRATES[number];

/** Frames per second: 16 kHz / 320-sample hop. */
export const FRAMES_PER_SECOND = 50;

/** Bits in one 20 ms frame: 160, 192, 264, 328, 488 or 640. */
export function frameBits(b: Bitrate): number {
  return b / FRAMES_PER_SECOND;
}

/** Bytes in one frame: 20, 24, 33, 41, 61 or 80. */
export function frameBytes(b: Bitrate): number {
  return frameBits(b) / 8;
}

/** The mode index stored in a stream header (position in BITRATES), or -1. */
export function modeIndexOf(b: number): number {
  return (BITRATES as readonly number[]).indexOf(b);
}

export function isBitrate(b: number): b is Bitrate {
  return modeIndexOf(b) >= 0;
}

function kiloLabel(b: number): string {
  return `${b / 1000}k`;
}

/**
 * Parse a user-given bitrate: '13200', '13.2k', '13.2kbps', '8k', '8000bps'. Anything that is not
 * one of the six modes is a UserError that lists the valid values.
 */
export function parseBitrate(text: string): Bitrate {
  const t = String(text).trim().toLowerCase().replace(/\s+/g, '');
  let value = Number.NaN;
  const kilo = /^(\d+(?:\.\d+)?)k(?:bps|bit\/s|b\/s)?$/.exec(t);
  const plain = /^(\d+)(?:bps|bit\/s|b\/s)?$/.exec(t);
  if (kilo) value = Math.round(Number(kilo[1]) * 1000);
  else if (plain) value = Number(plain[1]);
  if (isBitrate(value)) return value;
  throw new UserError(
    `invalid bitrate '${text}': valid values are ${BITRATES.join(', ')} bit/s ` +
      `(or ${BITRATES.map(kiloLabel).join(', ')})`,
  );
}
