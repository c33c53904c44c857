// Learn mode: the guided walkthrough of every sample (answers revealed on
// demand, matching the answer key), the glossary, "explain this event",
// and the rule's documentation in the finding detail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServer, openPage, foreign, spoor } from './harness.mjs';

let browser, server, origin;
before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
});
after(async () => {
  await browser?.close();
  server?.close();
});

/** The answer keys' (question, answer) pairs, as the CLI prints them. */
function answerKeys() {
  const keys = {};
  for (const key of JSON.parse(spoor(['generate', '--scenario', 'all', '--answer-keys']))) keys[key.scenario] = key.questions;
  return keys;
}

const KEYS = answerKeys();

test('answer keys were read', () => {
  assert.deepEqual(Object.keys(KEYS).sort(), ['anonymous-to-admin', 'rce-to-node', 'ssh-to-kubelet', 'stolen-kubeconfig']);
  for (const [k, qs] of Object.entries(KEYS)) assert.ok(qs.length >= 3, k);
});

for (const [scenario, questions] of Object.entries(KEYS)) {
  test(`walkthrough of ${scenario}: questions and revealed answers match the answer key`, async () => {
    const { page, requests, problems, context } = await openPage(browser);
    await page.goto(`${origin}/#sample=${scenario}`);
    await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
    await page.click('[data-testid=walkthrough-open]');
    const items = page.locator('[data-testid=walkthrough-question]');
    assert.equal(await items.count(), questions.length);
    assert.equal(await page.locator('[data-testid=walkthrough-answer]:visible').count(), 0, 'answers hidden');
    const last = questions.length - 1;
    for (const k of [0, last]) {
      const item = items.nth(k);
      assert.equal(await item.locator('.question').textContent(), questions[k][0]);
      await item.locator('[data-testid=reveal-answer]').click();
      const answer = item.locator('[data-testid=walkthrough-answer]');
      await answer.waitFor({ state: 'visible' });
      assert.equal(await answer.textContent(), questions[k][1]);
    }
    // Evidence link: the first answer naming an attacker runs its query.
    const evidence = page.locator('[data-testid=walkthrough-evidence]:visible').first();
    if (await evidence.count()) {
      await evidence.click();
      await page.waitForFunction(() => {
        const t = document.querySelector('[data-testid=explorer-total]');
        return t && Number(t.getAttribute('data-total')) > 0;
      }, null, { timeout: 30_000 });
      assert.match(await page.inputValue('[data-testid=query-input]'), /^(user:|")/);
    }
    assert.deepEqual(foreign(requests, origin), []);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('glossary, explain this event, and the rule documentation of a finding', async () => {
  const { page, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  await page.click('[data-testid=walkthrough-open]');
  await page.click('[data-testid=glossary-open]');
  const glossary = await page.textContent('[data-testid=glossary]');
  for (const f of ['verb', 'objectRef', 'user', 'impersonatedUser', 'sourceIPs', 'userAgent', 'responseStatus', 'stage', 'level']) {
    assert.ok(glossary.includes(f), f);
  }
  await page.keyboard.press('Escape');

  // A finding: its rule's description and next steps; its evidence explained.
  await page.click('[data-testid=tab-findings]');
  await page.click('[data-testid=finding-row] >> nth=0');
  await page.waitForFunction(() => /About this rule/.test(document.querySelector('[data-testid=rule-doc]').textContent));
  const doc = await page.textContent('[data-testid=rule-doc]');
  assert.ok((await page.textContent('[data-testid=rule-description]')).length > 10, doc);
  assert.equal(await page.locator('[data-testid=rule-doc] a').count(), 0, 'references are text');
  await page.waitForSelector('[data-testid=explain-event]', { timeout: 30_000 });
  assert.match(await page.textContent('[data-testid=explain-event]'), /asked to .* The API server answered \d{3}/);

  // An audit event in the explorer.
  await page.click('[data-testid=tab-explorer]');
  await page.fill('[data-testid=query-input]', 'ip:203.0.113.7');
  await page.press('[data-testid=query-input]', 'Enter');
  await page.waitForSelector('[data-testid=event-row]');
  await page.click('[data-testid=event-row] >> nth=0 >> td.col-time');
  await page.waitForSelector('[data-testid=explorer-raw] [data-testid=explain-event]', { timeout: 30_000 });
  assert.match(await page.textContent('[data-testid=explorer-raw] [data-testid=explain-event]'), /from 203\.0\.113\.7/);
  assert.deepEqual(problems, []);
  await context.close();
});
