import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, startServer, openPage, foreign, dropFiles, countAnalysisWorkers, shared, dist, artifacts } from './harness.mjs';

const DEMO = join(shared, 'data', 'audit2rbac-demo', 'demo.v1.log');
let browser, server, origin;

before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
});
after(async () => {
  await browser?.close();
  server?.close();
});

test('a dropped audit log is counted, and the page makes no outside request', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  await dropFiles(page, DEMO);
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  const row = await page.textContent('[data-testid=input-row]');
  assert.match(row, /k8s-audit/);
  assert.match(row, /ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3/);
  const perAction = await page.textContent('#actions-body');
  assert.match(perAction, /get\s*23/);
  assert.match(perAction, /list\s*14/);
  assert.match(await page.textContent('#users-body'), /system:admin\s*37/);
  await page.screenshot({ path: join(artifacts, 'skeleton-demo.png'), fullPage: true });
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('without the tools worker, the analysis worker hashes the evidence itself', async () => {
  // The tools worker hashes dropped files beside the analysis; when it
  // cannot load, the analysis worker reads the file again to hash it.
  const { page, context } = await openPage(browser);
  await context.route('**/tools.js', (route) => route.abort());
  await page.goto(`${origin}/`);
  await dropFiles(page, DEMO);
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  assert.match(await page.textContent('[data-testid=input-row]'), /ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3/);
  await context.close();
});

test('a tools worker that fails while hashing: the slice it held is read again, and the analysis worker hashes the file', async () => {
  // The page sends each slice through the tools worker, which hashes it on
  // its way to the analysis worker. One that fails on the first slice
  // would leave the analysis waiting for that slice, had the page not read
  // it again.
  const { page, context } = await openPage(browser);
  await context.route('**/tools.js', (route) => route.fulfill({
    contentType: 'text/javascript',
    body: "onmessage = () => { throw new Error('the tools worker fails on its first slice'); };",
  }));
  await page.goto(`${origin}/`);
  await page.setInputFiles('input[data-testid=file-input]', DEMO);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 30_000 });
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  assert.match(await page.textContent('[data-testid=input-row]'), /ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3/);
  await context.close();
});

test('the page declares a CSP that forbids outgoing connections', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  const csp = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
  assert.match(csp, /connect-src 'none'/);
  assert.match(csp, /default-src 'none'/);
  // A fetch from the page must be refused by the browser.
  const outcome = await page.evaluate(() => fetch('https://example.com/').then(() => 'sent', () => 'blocked'));
  assert.equal(outcome, 'blocked');
  await context.close();
});

test('the single file works from file:// with the same numbers', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(pathToFileURL(join(dist, 'spoor.html')).href);
  await dropFiles(page, DEMO);
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  assert.deepEqual(foreign(requests, 'file:'), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('dist/ works under a sub-path of a static host', async () => {
  const sub = await startServer('/tools/spoor/');
  try {
    const { page, requests, problems, context } = await openPage(browser);
    await page.goto(`${sub.origin}/tools/spoor/`);
    await dropFiles(page, DEMO);
    assert.equal(await page.textContent('[data-testid=events-count]'), '37');
    assert.deepEqual(foreign(requests, sub.origin), []);
    assert.ok(requests.every((u) => u.startsWith(`${sub.origin}/tools/spoor/`)), requests.join('\n'));
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    sub.server.close();
  }
});

/** A Sigma rule file matching the demo log's 14 list calls by system:admin. */
async function adminListsRule() {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const rule = join(mkdtempSync(join(tmpdir(), 'spoor-rule-')), 'admin-lists.yml');
  writeFileSync(rule, [
    'title: Spoor test rule, admin lists',
    'id: 5f1c2b9e-0d7a-4c3e-9a57-2b6f1e8d4c11',
    'logsource: {product: kubernetes, service: audit}',
    'detection:',
    '  selection: {verb: list, user.username: system:admin}',
    '  condition: selection',
    'level: low',
    '',
  ].join('\n'));
  return rule;
}

test('a Sigma rule file dropped with the logs runs beside the built-in pack', async () => {
  const rule = await adminListsRule();
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  await dropFiles(page, DEMO);
  const without = Number(await page.textContent('[data-testid=findings-count]'));
  await page.click('#clear-button');
  await dropFiles(page, [DEMO, rule]);
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  const withRule = Number(await page.textContent('[data-testid=findings-count]'));
  assert.equal(withRule, without + 14, 'the demo log has 14 list calls by system:admin');
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a drag over the page starts the analysis worker ahead; the drop takes it, dropped rules included', async () => {
  // The worker started by the drag loads the built-in pack before any file
  // comes; a rule file dropped with the logs must still join the pack.
  const rule = await adminListsRule();
  const { page, requests, problems, context } = await openPage(browser);
  const analysisWorkers = countAnalysisWorkers(page);
  const warmUp = async (expected) => {
    await page.dispatchEvent('body', 'dragenter');
    await page.dispatchEvent('body', 'dragenter');
    await analysisWorkers.reach(expected);
    assert.equal(analysisWorkers(), expected, 'one worker per drag, however many drag events');
  };
  await page.goto(`${origin}/`);
  await dropFiles(page, DEMO);
  const cold = Number(await page.textContent('[data-testid=findings-count]'));
  await page.click('#clear-button');
  await warmUp(2);
  await dropFiles(page, DEMO);
  assert.equal(analysisWorkers(), 2, 'the drop took the worker the drag started');
  assert.equal(await page.textContent('[data-testid=events-count]'), '37');
  assert.equal(Number(await page.textContent('[data-testid=findings-count]')), cold);
  await page.click('#clear-button');
  await warmUp(3);
  await dropFiles(page, [DEMO, rule]);
  assert.equal(analysisWorkers(), 3, 'the drop took the worker the drag started');
  assert.equal(Number(await page.textContent('[data-testid=findings-count]')), cold + 14);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});
