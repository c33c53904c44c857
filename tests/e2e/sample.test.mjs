import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign, countAnalysisWorkers, artifacts } from './harness.mjs';

let browser, server, origin;
before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
});
after(async () => {
  await browser?.close();
  server?.close();
});

test('#sample= opens a built-in sample incident, generated in the page', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const events = Number(await page.textContent('[data-testid=events-count]'));
  const findings = Number(await page.textContent('[data-testid=findings-count]'));
  assert.ok(events > 500, `events ${events}`);
  assert.ok(findings > 0, `findings ${findings}`);
  assert.match(await page.textContent('#findings-body'), /cluster-admin/i);
  await page.screenshot({ path: join(artifacts, 'sample-anonymous-to-admin.png'), fullPage: true });
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the pointer on the sample button starts the analysis worker ahead; the click takes it', async () => {
  // The same case as one opened from the URL, which starts its worker cold.
  const cold = await openPage(browser);
  await cold.page.goto(`${origin}/#sample=anonymous-to-admin`);
  await cold.page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const counts = (page) => page.$$eval('[data-testid=events-count], [data-testid=findings-count]', (els) => els.map((e) => e.textContent));
  const expected = await counts(cold.page);
  assert.equal(expected.length, 2);
  await cold.context.close();
  const { page, requests, problems, context } = await openPage(browser);
  const analysisWorkers = countAnalysisWorkers(page);
  await page.goto(`${origin}/`);
  await page.selectOption('#sample-select', 'anonymous-to-admin');
  await page.hover('#sample-button');
  await analysisWorkers.reach(1);
  assert.equal(analysisWorkers(), 1, 'the pointer on the button started a worker');
  await page.click('#sample-button');
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  assert.equal(analysisWorkers(), 1, 'the click took the worker the pointer started');
  assert.deepEqual(await counts(page), expected);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('every scenario opens from the start screen', async () => {
  const { page, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  const names = await page.$$eval('#sample-select option', (os) => os.map((o) => o.value));
  assert.deepEqual(names, ['anonymous-to-admin', 'rce-to-node', 'stolen-kubeconfig', 'ssh-to-kubelet']);
  for (const name of names) {
    await page.selectOption('#sample-select', name);
    await page.click('#sample-button');
    await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
    assert.ok(Number(await page.textContent('[data-testid=events-count]')) > 500, name);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
