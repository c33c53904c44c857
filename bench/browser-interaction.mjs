// Interaction timings in the page with about a million events: drops a
// generated case into dist/ in headless Chromium, then zooms and pans the
// timeline and runs explorer queries, and prints what the page's own
// performance measures say (src/web/perf.rs):
//   spoor:timeline-draw    one redraw of the timeline and swimlanes from bins
//   spoor:timeline-update  wheel/drag → histogram and lanes from the worker → drawn
//   spoor:query            explorer query → first page of rows shown
// Targets (issue 9): redraw < 16 ms, query < 200 ms.
//
//   make dist && node bench/browser-interaction.mjs [SCALE_BYTES]
//
// SCALE_BYTES (default 430 MB) is passed to `spoor generate --scale`; 430 MB
// of the anonymous-to-admin scenario is ~1.04 M lines. The corpus is kept in
// bench/corpus-browser/ (ignored by git). A benchmark, not a test: `make test`
// does not run it.
import { statSync } from 'node:fs';
import { launchChromium } from '../scripts/chromium.mjs';
import { corpus, filesUnder, servePage, run } from './common.mjs';

const scale = Number(process.argv[2] ?? 430_000_000);
const ROUNDS = 20;
const QUERIES = ['user:system:anonymous', 'verb:delete', 'code:>=400', '"forbidden"', 'ns:kube-system verb:get',
  'user:system:node:* -verb:get', 'res:secrets', 'ip:10.0.*', 'ua:curl*', 'pod:api-*'];

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};

/** Runs `act` and waits until a new measure named `name` arrives. */
async function timed(page, name, act) {
  const before = await page.evaluate((n) => window.__measures.filter((m) => m.name === n).length, name);
  await act();
  await page.waitForFunction(([n, b]) => window.__measures.filter((m) => m.name === n).length > b, [name, before], { timeout: 60_000 });
}

async function main() {
  const files = filesUnder(corpus('corpus-browser', scale));
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const { server, origin } = await servePage();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Every measure the page takes, even those it clears right away.
    await page.addInitScript(() => {
      window.__measures = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__measures.push({ name: e.name, duration: e.duration });
      }).observe({ entryTypes: ['measure'] });
    });
    await page.goto(origin + '/');
    const t0 = Date.now();
    await page.setInputFiles('input[data-testid=file-input]', files);
    await page.waitForSelector('[data-testid=analysis-done]', { timeout: 3_600_000 });
    const analysis = (Date.now() - t0) / 1000;
    const events = Number(await page.textContent('[data-testid=events-count]'));

    await page.click('[data-testid=tab-timeline]');
    await page.waitForFunction(() => /events in view/.test(document.querySelector('[data-testid=timeline-info]').textContent), null, { timeout: 120_000 });
    await page.waitForSelector('[data-testid=lane-label]', { timeout: 120_000 });
    const box = await page.locator('[data-testid=timeline-canvas]').boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    for (let i = 0; i < ROUNDS; i++) {
      await timed(page, 'spoor:timeline-update', () => page.mouse.wheel(0, i % 4 < 2 ? -200 : 200));
    }
    for (let i = 0; i < ROUNDS; i++) {
      const dx = (i % 2 ? 1 : -1) * box.width * 0.1;
      await timed(page, 'spoor:timeline-update', async () => {
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        await page.mouse.move(cx + dx, cy, { steps: 1 });
        await page.mouse.up();
      });
    }
    await page.click('[data-testid=tab-explorer]');
    for (const q of [...QUERIES, ...QUERIES]) {
      await timed(page, 'spoor:query', async () => {
        await page.fill('[data-testid=query-input]', q);
        await page.press('[data-testid=query-input]', 'Enter');
      });
    }
    const measures = await page.evaluate(() => window.__measures);
    const by = (n) => stats(measures.filter((m) => m.name === n).map((m) => m.duration));
    const row = (label, s, target) => `| ${label} | ${s.n} | ${s.median.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.max.toFixed(1)} | ${target} |`;
    console.log(`Corpus: ${files.length} files, ${(bytes / 1e6).toFixed(0)} MB, ${events.toLocaleString('en')} events; analysed in the page in ${analysis.toFixed(0)} s`);
    console.log();
    console.log('| interaction | runs | median ms | p95 ms | max ms | target |');
    console.log('|---|---|---|---|---|---|');
    console.log(row('timeline redraw from bins (spoor:timeline-draw)', by('spoor:timeline-draw'), '< 16 ms'));
    console.log(row('zoom/pan → new bins drawn (spoor:timeline-update)', by('spoor:timeline-update'), '—'));
    console.log(row('explorer query → first rows (spoor:query)', by('spoor:query'), '< 200 ms'));
    // Which redraw was the slowest: the first is the timeline tab's first
    // drawing, before any zoom or pan.
    const draws = measures.filter((m) => m.name === 'spoor:timeline-draw').map((m) => m.duration);
    const slowest = draws.indexOf(Math.max(...draws));
    const later = stats(draws.slice(1));
    console.log();
    console.log(`Slowest redraw: #${slowest + 1} of ${draws.length}; after the first, max ${later.max.toFixed(1)} ms.`);
  } finally {
    await browser.close();
    server.close();
  }
}

run(main);
