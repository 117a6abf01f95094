/**
 * Base64 to bytes for the committed generated tables (entropy-tables.ts, shipped-search-axes.ts):
 * Node's native decoder where there is one (a JS loop over tens of kB costs ~10 ms of a cold
 * start, issue 15), else atob, which browsers, workers and Node ≥ 16 all have.
 */
export function bytesOfBase64(b64: string): Uint8Array {
  const nodeBuffer = (globalThis as { Buffer?: { from(s: string, enc: 'base64'): Uint8Array } }).Buffer;
  if (nodeBuffer !== undefined) return nodeBuffer.from(b64, 'base64');
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
