// Page load: how soon the release page answers, and what it transfers.
// Loads dist/index.html from localhost ROUNDS times, each in a fresh
// browser context (nothing cached), and reports the time from navigation
// start until the page is interactive (its wasm has started and filled the
// sample list, so a drop or a click is handled), and the bytes of every
// response, raw and gzipped (what a static host serving gzip transfers),
// and the same for every file in dist/.
// Targets (issue 9): interactive < 1 s on localhost; wasm ≤ 1 MB gzipped.
//
//   make dist && node bench/page-load.mjs
//
// A benchmark, not a test: `make test` does not run it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../scripts/chromium.mjs';
import { root, servePage } from './common.mjs';

const ROUNDS = 10;
const { server, origin } = await servePage();
const browser = await launchChromium();
const times = [];
let transfers = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const responses = [];
    page.on('response', (r) => responses.push(r));
    await page.goto(origin + '/');
    await page.waitForFunction(() => document.querySelector('#sample-select')?.options.length > 0);
    times.push(await page.evaluate(() => performance.now()));
    if (i === 0) {
      transfers = await Promise.all(responses.map(async (r) => {
        const body = await r.body();
        return { url: r.url().slice(origin.length), raw: body.length, gzip: gzipSync(body, { level: 9 }).length };
      }));
    }
    await context.close();
  }
} finally {
  await browser.close();
  server.close();
}
times.sort((a, b) => a - b);
const kb = (n) => (n / 1000).toFixed(0);
console.log(`| interactive ms (median / max of ${ROUNDS}) | ${times[ROUNDS >> 1].toFixed(0)} / ${times[ROUNDS - 1].toFixed(0)} |`);
console.log('|---|---|');
for (const t of transfers) console.log(`| ${t.url} | ${kb(t.raw)} kB raw, ${kb(t.gzip)} kB gzipped |`);
const total = transfers.reduce((s, t) => s + t.gzip, 0);
console.log(`| all responses of the first screen | ${kb(total)} kB gzipped |`);
// The analysis worker (and its wasm, embedded) loads only when an analysis
// starts, the tools worker on the first sample or export.
console.log('\n| dist/ file | raw | gzipped |\n|---|---|---|');
for (const name of readdirSync(join(root, 'dist'))) {
  const body = readFileSync(join(root, 'dist', name));
  console.log(`| ${name} | ${kb(body.length)} kB | ${kb(gzipSync(body, { level: 9 }).length)} kB |`);
}
