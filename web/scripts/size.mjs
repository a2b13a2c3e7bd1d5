// The console's shipped size: gzip bytes of what the first screen loads
// (the entry script and its modulepreloads from dist/index.html, and the
// CSS), and of every lazy chunk. Run after `npm run build`.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';

const dist = path.join(import.meta.dirname, '../dist');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const first = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const gz = (f) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const rows = [];
let firstJS = 0;
for (const f of first) {
  const n = gz(f);
  if (f.endsWith('.js')) firstJS += n;
  rows.push([f, 'first screen', n]);
}
for (const f of readdirSync(path.join(dist, 'assets'))) {
  const rel = `assets/${f}`;
  if (!first.includes(rel) && f.endsWith('.js')) rows.push([rel, 'lazy', gz(rel)]);
}
console.log('| file | loaded | gzip |');
console.log('|---|---|---|');
for (const [f, when, n] of rows) console.log(`| \`${f.replace(/-[A-Za-z0-9_-]{8}\./, '.')}\` | ${when} | ${kb(n)} |`);
console.log(`\nFirst screen JavaScript: ${kb(firstJS)} gzip (${firstJS} bytes; target ≤ 250 KB).`);
