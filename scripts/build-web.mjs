// Assembles the page from the wasm-bindgen output in target/web/:
//   dist/index.html, app.js, worker.js, style.css  (static hosting, any sub-path)
//   dist/spoor.html                                (one self-contained file for file://)
//   dist/manifest.json                             (version and SHA-256 of each artifact)
// The wasm travels inside the scripts as base64, so neither build needs
// fetch(): the CSP can say `connect-src 'none'` for both.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'target', 'web');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const sha256 = (data, encoding = 'hex') => createHash('sha256').update(data).digest(encoding);

/** wasm-bindgen's no-modules glue plus the module itself, started synchronously. */
function bundle(name) {
  const glue = readFileSync(join(web, `${name}.js`), 'utf8');
  const wasm = readFileSync(join(web, `${name}_bg.wasm`)).toString('base64');
  const start = `wasm_bindgen.initSync({ module: Uint8Array.from(atob(${JSON.stringify(wasm)}), (c) => c.charCodeAt(0)) });\n`;
  const js = `${glue}\n${start}`;
  if (js.includes('</script')) throw new Error(`${name}.js contains "</script": it cannot be inlined`);
  return js;
}

const template = readFileSync(join(root, 'index.html'), 'utf8');
const style = readFileSync(join(root, 'www', 'style.css'), 'utf8');
const app = bundle('app');
const worker = bundle('worker');
const version = JSON.parse(JSON.stringify(readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/^version = "(.*)"/m)[1]));

const common = "default-src 'none'; connect-src 'none'; img-src data: blob:; base-uri 'none'; form-action 'none'";
const fill = (csp, styleTag, scripts) =>
  template.replace('{{CSP}}', csp).replace('{{STYLE}}', styleTag).replace('{{SCRIPTS}}', scripts);

// Static hosting: every URL relative, so any sub-path works.
const hosted = fill(
  `${common}; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; worker-src 'self'`,
  '<link rel="stylesheet" href="style.css">',
  '<script src="app.js"></script>',
);
writeFileSync(join(dist, 'index.html'), hosted);
writeFileSync(join(dist, 'app.js'), app);
writeFileSync(join(dist, 'worker.js'), worker);
writeFileSync(join(dist, 'style.css'), style);

// One file: inline script and style allowed by hash only; the worker starts
// from a blob: URL made from the inert text block.
const single = fill(
  `${common}; script-src 'sha256-${sha256(app, 'base64')}' 'wasm-unsafe-eval'; style-src 'sha256-${sha256(style, 'base64')}'; worker-src blob:`,
  `<style>${style}</style>`,
  `<script type="text/plain" id="worker-source">${worker}</script>\n<script>${app}</script>`,
);
writeFileSync(join(dist, 'spoor.html'), single);

const artifacts = {};
for (const f of ['index.html', 'app.js', 'worker.js', 'style.css', 'spoor.html']) {
  const data = readFileSync(join(dist, f));
  artifacts[f] = { bytes: data.length, sha256: sha256(data) };
}
const built = process.env.SOURCE_DATE_EPOCH
  ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString()
  : new Date().toISOString();
writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ name: 'spoor', version, built, artifacts }, null, 2) + '\n');
for (const [f, a] of Object.entries(artifacts)) console.log(`dist/${f}  ${a.bytes} bytes  sha256 ${a.sha256}`);
