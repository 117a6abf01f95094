// Builds the demo page into dist/web/: static files that work offline from any static server
// (index.html, style.css, main.js, worker.js, model.nsvqm). Usage: npm run build:web
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { main: path.join(root, 'web/main.ts'), worker: path.join(root, 'web/worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari16'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(path.join(root, 'web/index.html'), path.join(out, 'index.html'));
copyFileSync(path.join(root, 'web/style.css'), path.join(out, 'style.css'));
copyFileSync(path.join(root, 'codec/model.nsvqm'), path.join(out, 'model.nsvqm'));

for (const f of ['index.html', 'style.css', 'main.js', 'worker.js', 'model.nsvqm']) {
  console.log(`${f.padEnd(12)} ${statSync(path.join(out, f)).size.toLocaleString('en').padStart(10)} bytes`);
}
console.log(`built ${path.relative(process.cwd(), out) || '.'}/`);
