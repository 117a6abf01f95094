// `npm run serve:web [-- PORT]`: serve the built page (dist/web/) on 127.0.0.1 (default port 8080).
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web');
if (!existsSync(path.join(dir, 'index.html'))) {
  console.error('dist/web/ is not built: run `npm run build:web` first');
  process.exit(1);
}
const port = Number(process.argv[2] ?? 8080);
const { url } = await startStaticServer(dir, port);
console.log(`serving dist/web/ at ${url} (Ctrl-C to stop)`);
