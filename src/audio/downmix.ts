/** Downmix to mono as the mean of the channels (no pan law: a mono file upmixed to L=R comes back unchanged). */
export function downmix(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0].slice();
  const n = channels[0].length;
  for (const ch of channels) {
    if (ch.length !== n) throw new Error(`downmix: channel lengths differ (${ch.length} vs ${n})`);
  }
  const out = new Float32Array(n);
  const acc = new Float64Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) acc[i] += ch[i];
  const inv = 1 / channels.length;
  for (let i = 0; i < n; i++) out[i] = acc[i] * inv;
  return out;
}
