// A minimal static file server for dist/ on 127.0.0.1, used by `make serve`
// and the end-to-end tests. Serves `.wasm` and `.js` with the right types,
// and nothing outside the served folder.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/**
 * Serves `dir` under the URL prefix `base` (e.g. "/tools/spoor/"), adding
 * `headers` to every file (the throughput benchmark isolates the page with
 * them, see bench/browser-throughput.mjs); resolves to the http.Server.
 */
export function serve(dir, { port = 0, base = '/', headers = {} } = {}) {
  const rootDir = resolve(dir);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let path = decodeURIComponent(url.pathname);
    if (!path.startsWith(base)) { res.writeHead(404).end('not found'); return; }
    path = path.slice(base.length);
    if (path === '' || path.endsWith('/')) path += 'index.html';
    const file = normalize(join(rootDir, path));
    if (!file.startsWith(rootDir + sep)) { res.writeHead(403).end('forbidden'); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const port = Number(process.env.PORT ?? 8080);
  const server = await serve(process.argv[2] ?? 'dist', { port });
  const sample = process.env.SPOOR_SAMPLE ?? 'anonymous-to-admin';
  console.log(`Spoor is at http://127.0.0.1:${server.address().port}/#sample=${sample}  (Ctrl-C stops it)`);
}
