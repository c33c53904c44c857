// Assembles the page from the wasm-bindgen output in target/web/:
//   dist/index.html, app.js, worker.js, tools.js, style.css  (static hosting, any sub-path)
//   dist/spoor.html                                (one self-contained file for file://)
//   dist/manifest.json                             (version, build time, SHA-256 of each artifact and wasm module;
//                                                   the page embeds what it can know of it for its About box)
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

const wasmDigests = {};

/**
 * wasm-bindgen's no-modules glue plus the module itself, started synchronously.
 * The decoded bytes stay in `self.spoorWasmBytes` until the code hashes them
 * for the About box's check (src/web/about.rs), then they are dropped.
 */
function bundle(name) {
  const glue = readFileSync(join(web, `${name}.js`), 'utf8');
  const bytes = readFileSync(join(web, `${name}_bg.wasm`));
  wasmDigests[`${name}_bg.wasm`] = sha256(bytes);
  const wasm = bytes.toString('base64');
  // A plain loop: `Uint8Array.from(text, mapper)` walks the string as an
  // iterator and took ~250 ms for the worker's module (bench/browser-profile.mjs).
  const start = `self.spoorWasmBytes = ((text) => {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
})(atob(${JSON.stringify(wasm)}));
wasm_bindgen.initSync({ module: self.spoorWasmBytes });
`;
  const js = `${glue}\n${start}`;
  if (js.includes('</script')) throw new Error(`${name}.js contains "</script": it cannot be inlined`);
  return js;
}

const template = readFileSync(join(root, 'index.html'), 'utf8');
const style = readFileSync(join(root, 'www', 'style.css'), 'utf8');
const app = bundle('app');
const worker = bundle('worker');
// The tools worker (samples, exports): the page starts it on first use.
const tools = bundle('tools');
const version = JSON.parse(JSON.stringify(readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/^version = "(.*)"/m)[1]));

const common = "default-src 'none'; connect-src 'none'; img-src data: blob:; base-uri 'none'; form-action 'none'";
const built = process.env.SOURCE_DATE_EPOCH
  ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString()
  : new Date().toISOString();
const release = { name: 'spoor', version, built, wasm: wasmDigests };

/**
 * The manifest as the page can know it, as an inert JSON block the About box
 * reads as text: never run, so the CSP needs no hash for it.
 */
function manifestBlock(artifacts) {
  const json = JSON.stringify({ ...release, artifacts });
  if (/<\/script|<!--/i.test(json)) throw new Error('the manifest cannot be inlined');
  return `<script type="application/json" id="release-manifest">${json}</script>`;
}
const fill = (csp, styleTag, manifest, scripts) =>
  template.replace('{{CSP}}', csp).replace('{{STYLE}}', styleTag).replace('{{MANIFEST}}', manifest).replace('{{SCRIPTS}}', scripts);
const described = (files) => Object.fromEntries(Object.entries(files).map(([f, data]) => [f, { bytes: Buffer.byteLength(data), sha256: sha256(data) }]));

// Static hosting: every URL relative, so any sub-path works.
const hosted = fill(
  `${common}; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; worker-src 'self'`,
  '<link rel="stylesheet" href="style.css">',
  manifestBlock(described({ 'app.js': app, 'worker.js': worker, 'tools.js': tools, 'style.css': style })),
  '<script src="app.js"></script>',
);
writeFileSync(join(dist, 'index.html'), hosted);
writeFileSync(join(dist, 'app.js'), app);
writeFileSync(join(dist, 'worker.js'), worker);
writeFileSync(join(dist, 'tools.js'), tools);
writeFileSync(join(dist, 'style.css'), style);

// One file: inline script and style allowed by hash only; the workers start
// from blob: URLs made from the inert text blocks.
const single = fill(
  `${common}; script-src 'sha256-${sha256(app, 'base64')}' 'wasm-unsafe-eval'; style-src 'sha256-${sha256(style, 'base64')}'; worker-src blob:`,
  `<style>${style}</style>`,
  manifestBlock({}),
  `<script type="text/plain" id="worker-source">${worker}</script>\n<script type="text/plain" id="tools-source">${tools}</script>\n<script>${app}</script>`,
);
writeFileSync(join(dist, 'spoor.html'), single);

const artifacts = {};
for (const f of ['index.html', 'app.js', 'worker.js', 'tools.js', 'style.css', 'spoor.html']) {
  const data = readFileSync(join(dist, f));
  artifacts[f] = { bytes: data.length, sha256: sha256(data) };
}
writeFileSync(join(dist, 'manifest.json'), JSON.stringify({ ...release, artifacts }, null, 2) + '\n');
for (const [f, a] of Object.entries(artifacts)) console.log(`dist/${f}  ${a.bytes} bytes  sha256 ${a.sha256}`);
