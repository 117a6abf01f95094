/** Probe an audio file on disk by its head (probe.ts does the identification). */
import { promises as fs } from 'node:fs';
import { id3v2Size, probeAudio, type ProbedAudio } from './probe.js';

/** Bytes of a file's head that `probeAudioFile` reads. */
export const PROBE_BYTES = 65536;

/**
 * Probe a file by its first PROBE_BYTES; when an ID3v2 tag (cover art, say) runs past them,
 * probe the bytes after the tag instead. The caller has checked that `path` is a readable file.
 */
export async function probeAudioFile(path: string): Promise<ProbedAudio | undefined> {
  const fh = await fs.open(path, 'r');
  try {
    const readAt = async (pos: number): Promise<Uint8Array> => {
      const buf = new Uint8Array(PROBE_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      return buf.subarray(0, bytesRead);
    };
    const head = await readAt(0);
    const tag = id3v2Size(head, 0);
    if (tag > 0 && tag + 64 > head.length) return probeAudio(await readAt(tag));
    return probeAudio(head);
  } finally {
    await fh.close();
  }
}
