// Both release builds — dist/ under a sub-path of a static host, and the
// single dist/spoor.html from file:// — give the same findings as the CLI on
// the same sample incident, show the release manifest in the About box with
// every wasm module verified (page, analysis worker, tools worker), and
// request nothing beyond their own origin, file: and blob:.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, startServer, openPage, foreign, dist, spoor } from './harness.mjs';

// ssh-to-kubelet: its attacked node arrives as a support-bundle .tar.gz, so
// archive reading is compared too.
const SCENARIO = 'ssh-to-kubelet';
const SEED = '1'; // the page's samples use seed 1 (generate::SAMPLE_SEED)

let browser, tmp;
before(async () => {
  browser = await launch();
  tmp = mkdtempSync(join(tmpdir(), 'spoor-release-'));
});

/** The CLI's findings on `spoor generate --scenario NAME --seed 1`. */
function cliFindings(scenario) {
  const out = join(tmp, scenario);
  spoor(['generate', '--scenario', scenario, '--seed', SEED, '--out', out]);
  return comparable(JSON.parse(spoor(['scan', out, '--year', '2026', '--format', 'json'])), `${out}/`);
}
after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Rule, time, level and evidence of each finding, paths relative to the generated folder, in a stable order. */
function comparable(report, prefix = '') {
  const rel = (p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);
  return report.findings
    .map((f) => ({ rule: f.rule_id, time: f.time, level: f.level, evidence: f.evidence.map((e) => `${rel(e.path)}:${e.line}`) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

async function exportJson(page) {
  await page.click('[data-testid=case-tools] summary');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.click('[data-testid=export-json]'),
  ]);
  assert.match(download.url(), /^blob:/);
  const path = join(tmp, `page-${Date.now()}.json`);
  await download.saveAs(path);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The About box shows dist/manifest.json's values; every module verifies; Esc closes it. */
async function checkAbout(page, files) {
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
  await page.focus('[data-testid=about-open]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=about]', { state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'about-close', 'focus moves into the dialog');
  assert.equal(await page.textContent('[data-testid=about-version]'), `spoor ${manifest.version}`);
  assert.equal(await page.textContent('[data-testid=about-built]'), manifest.built);
  const modules = Object.keys(manifest.wasm).sort();
  assert.deepEqual(modules, ['app_bg.wasm', 'tools_bg.wasm', 'worker_bg.wasm']);
  for (const m of modules) {
    const row = page.locator(`#about-wasm tr[data-module="${m}"]`);
    assert.equal(await row.locator('td').nth(1).textContent(), manifest.wasm[m]);
    await page.waitForFunction((m) => document.querySelector(`#about-wasm tr[data-module="${m}"] [data-testid=about-check]`)?.dataset.state, m);
    assert.equal(await row.locator('[data-testid=about-check]').getAttribute('data-state'), 'verified', m);
  }
  const shown = await page.$$eval('#about-files tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(shown, files.map((f) => [f, String(manifest.artifacts[f].bytes), manifest.artifacts[f].sha256]));
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=about]', { state: 'hidden' });
}

async function sameFindingsAsTheCli(page, scenario = SCENARIO) {
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const pageFindings = comparable(await exportJson(page));
  const cli = cliFindings(scenario);
  assert.ok(cli.length > 10, `${scenario}: ${cli.length} findings`);
  if (scenario === 'ssh-to-kubelet') {
    assert.ok(pageFindings.some((f) => f.evidence.some((e) => e.includes('.tar.gz!'))), 'archive members are evidence');
  }
  assert.deepEqual(pageFindings, cli, scenario);
}

test('dist/ under a sub-path: the sample gives the CLI findings, the About box verifies', async () => {
  const sub = await startServer('/tools/spoor/');
  try {
    const { page, requests, problems, context } = await openPage(browser);
    await page.goto(`${sub.origin}/tools/spoor/#sample=${SCENARIO}`);
    await sameFindingsAsTheCli(page);
    await checkAbout(page, ['app.js', 'style.css', 'tools.js', 'worker.js']);
    assert.deepEqual(foreign(requests, sub.origin), []);
    assert.ok(requests.filter((u) => !u.startsWith('blob:')).every((u) => u.startsWith(`${sub.origin}/tools/spoor/`)), requests.join('\n'));
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    sub.server.close();
  }
});

test('dist/spoor.html from file://: the sample gives the CLI findings, the About box verifies', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${pathToFileURL(join(dist, 'spoor.html')).href}#sample=${SCENARIO}`);
  await sameFindingsAsTheCli(page);
  await checkAbout(page, []);
  assert.deepEqual(foreign(requests, 'file:'), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the other samples give the CLI findings too (hosted build)', async () => {
  const { server, origin } = await startServer();
  try {
    for (const scenario of ['anonymous-to-admin', 'rce-to-node', 'stolen-kubeconfig']) {
      const { page, requests, problems, context } = await openPage(browser);
      await page.goto(`${origin}/#sample=${scenario}`);
      await sameFindingsAsTheCli(page, scenario);
      assert.deepEqual(foreign(requests, origin), []);
      assert.deepEqual(problems, []);
      await context.close();
    }
  } finally {
    server.close();
  }
});

test('a page whose manifest does not match its code says so', async () => {
  // The manifest block is inert text outside the CSP hashes: change the
  // page's wasm digest in a copy and the check must fail for that module.
  const manifest = JSON.parse(readFileSync(join(dist, 'manifest.json'), 'utf8'));
  const html = readFileSync(join(dist, 'spoor.html'), 'utf8');
  const wrong = '0'.repeat(64);
  const altered = html.replace(`"app_bg.wasm":"${manifest.wasm['app_bg.wasm']}"`, `"app_bg.wasm":"${wrong}"`);
  assert.notEqual(altered, html);
  const copy = join(tmp, 'altered.html');
  writeFileSync(copy, altered);
  const { page, problems, context } = await openPage(browser);
  await page.goto(pathToFileURL(copy).href);
  await page.click('[data-testid=about-open]');
  const state = (m) => page.locator(`#about-wasm tr[data-module="${m}"] [data-testid=about-check]`);
  await page.waitForFunction(() => [...document.querySelectorAll('#about-wasm [data-testid=about-check]')].every((c) => c.dataset.state));
  assert.equal(await state('app_bg.wasm').getAttribute('data-state'), 'mismatch');
  assert.match(await state('app_bg.wasm').textContent(), new RegExp(`running ${manifest.wasm['app_bg.wasm']}`));
  assert.equal(await state('worker_bg.wasm').getAttribute('data-state'), 'verified');
  assert.equal(await state('tools_bg.wasm').getAttribute('data-state'), 'verified');
  assert.deepEqual(problems, []);
  await context.close();
});
