// Shared set-up for the browser tests: serve dist/ on 127.0.0.1, launch
// Debian's Chromium through playwright-core, and record every request the
// page and its workers make.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../../scripts/serve.mjs';
import { launchChromium } from '../../scripts/chromium.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dist = join(root, 'dist');
export const shared = join(root, '..', 'shared');
export const artifacts = join(root, 'tests', 'e2e', 'artifacts');
mkdirSync(artifacts, { recursive: true });

export function launch() {
  return launchChromium();
}

export async function startServer(base = '/') {
  const server = await serve(dist, { base });
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** A page whose requests are all recorded in `requests`, and whose errors and dialogs in `problems`. */
export async function openPage(browser) {
  const context = await browser.newContext();
  const requests = [];
  const problems = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  return { context, page, requests, problems };
}

/** Requests to anything but the page's own origin, `blob:` or `data:`. */
export function foreign(requests, origin) {
  return requests.filter((u) => !(u.startsWith(origin + '/') || u.startsWith('blob:') || u.startsWith('data:') || (origin === 'file:' && u.startsWith('file:'))));
}

/**
 * Counts the analysis workers (`worker.js`) `page` starts from now on:
 * `count()` the number so far, `count.reach(n)` waits up to 5 s for `n`.
 */
export function countAnalysisWorkers(page) {
  const started = [];
  page.on('worker', (w) => started.push(w.url()));
  const count = () => started.filter((url) => url.endsWith('/worker.js')).length;
  count.reach = async (n) => {
    for (let i = 0; i < 100 && count() < n; i++) await page.waitForTimeout(50);
  };
  return count;
}

export async function dropFiles(page, files) {
  await page.setInputFiles('input[data-testid=file-input]', files);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
}

/**
 * Runs the native CLI and returns its stdout: SPOOR_BIN, else the newer of
 * target/release/spoor and target/debug/spoor (`make test` builds debug
 * before the e2e tests; a stale release build must not win).
 */
export function spoor(args) {
  const built = ['release', 'debug'].map((p) => join(root, 'target', p, 'spoor')).filter(existsSync);
  const bin = process.env.SPOOR_BIN ?? built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!bin) throw new Error('no spoor binary: run cargo build --bin spoor (or set SPOOR_BIN)');
  return execFileSync(bin, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}
