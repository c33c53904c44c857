// The Hunt view: on the sample incident it answers "what is rare / new
// here?" for identities, user agents, addresses and patterns, each row one
// click from its events; a hunt saved with a note goes into the case file,
// and after the case is reopened and the logs dropped again the hunt
// reruns with the same result. A Sigma draft from a row runs with the pack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign, dropFiles, shared } from './harness.mjs';

let browser, server, origin, tmp;
before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
  tmp = mkdtempSync(join(tmpdir(), 'spoor-hunt-'));
});
after(async () => {
  await browser?.close();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const texts = (page, selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent));

async function stackBy(page, field, query = '') {
  await page.selectOption('[data-testid=hunt-by-1]', field);
  await page.selectOption('[data-testid=hunt-by-2]', '');
  await page.fill('[data-testid=hunt-query]', query);
  await page.click('[data-testid=hunt-stack-run]');
  await page.waitForFunction(() => !/^(Counting…)?$/.test(document.querySelector('[data-testid=hunt-stack-summary]').textContent));
  return texts(page, '[data-testid=hunt-stack-row] [data-testid=hunt-stack-value]');
}

test('the Hunt view answers what is rare and new in the sample incident', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  await page.click('[data-testid=tab-hunt]');
  await page.waitForSelector('[data-testid=hunt-stack-row]');
  await page.waitForSelector('[data-testid=hunt-seen-row]');
  await page.waitForSelector('[data-testid=hunt-pattern-row]');

  // Identities: rarest first, and the first-seen pass names the anonymous
  // identity touching secrets and the stolen token used with kubectl.
  const users = await stackBy(page, 'user');
  assert.ok(users.includes('system:anonymous'), users.join());
  const counts = (await texts(page, '[data-testid=hunt-stack-row] [data-testid=hunt-events]')).map((t) => Number(t.replace(/\D/g, '')));
  assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'rarest first');
  const seen = await page.$$eval('[data-testid=hunt-seen-row]', (rows) => rows.map((r) => `${r.dataset.kind} ${r.querySelector('[data-testid=hunt-seen-entity]').textContent}`));
  assert.ok(seen.includes('FirstSecretAccess system:anonymous'), seen.join('\n'));
  assert.ok(seen.includes('KubectlAgent system:serviceaccount:kube-system:metrics-agent'), seen.join('\n'));

  // Addresses and user agents of the anonymous identity: the attacker's address.
  const ips = await stackBy(page, 'ip', 'user:system:anonymous');
  assert.ok(ips.includes('203.0.113.7'), ips.join());
  const agents = await stackBy(page, 'ua', 'ip:203.0.113.7');
  assert.ok(agents.some((a) => a.startsWith('kubectl/')), agents.join());
  assert.equal(agents.length, 2, 'kubectl and curl from the attacker');

  // A row opens its events in the explorer: as many as the row counts.
  const rowCount = await page.textContent('[data-testid=hunt-stack-row] >> nth=0 >> [data-testid=hunt-events]');
  await page.click('[data-testid=hunt-stack-row] >> nth=0 >> [data-testid=hunt-events]');
  assert.equal(await page.getAttribute('[data-testid=tab-explorer]', 'aria-selected'), 'true');
  assert.match(await page.inputValue('#query-input'), /ip:203\.0\.113\.7 ua:/);
  await page.waitForFunction((n) => document.querySelector('[data-testid=explorer-total]')?.dataset.total === n, rowCount.replace(/\D/g, ''));

  // Patterns: rarest first, sparklines, one click from their lines.
  await page.click('[data-testid=tab-hunt]');
  const first = page.locator('[data-testid=hunt-pattern-row]').first();
  const bars = await first.locator('.spark span').count();
  assert.equal(bars, 40);
  const n = (await first.locator('[data-testid=hunt-events]').textContent()).replace(/\D/g, '');
  await first.locator('[data-testid=hunt-events]').click();
  assert.match(await page.inputValue('#query-input'), /^pattern:/);
  await page.waitForFunction((n) => document.querySelector('[data-testid=explorer-total]')?.dataset.total === n, n);

  // A Sigma draft from a first-seen row runs with the pack and fires.
  await page.click('[data-testid=tab-hunt]');
  const findingsBefore = Number(await page.textContent('[data-testid=findings-count]'));
  await page.locator('[data-testid=hunt-seen-row][data-kind=KubectlAgent] [data-testid=hunt-draft-button]').click();
  await page.waitForFunction(() => /^title: "Hunt draft/.test(document.querySelector('[data-testid=hunt-draft]').value));
  const draft = await page.inputValue('[data-testid=hunt-draft]');
  assert.match(draft, /service: audit/);
  assert.match(draft, /user\.username: "system:serviceaccount:kube-system:metrics-agent"/);
  await page.click('[data-testid=hunt-draft-run]');
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  assert.ok(Number(await page.textContent('[data-testid=findings-count]')) > findingsBefore);
  await page.click('[data-testid=tab-findings]');
  await page.waitForFunction(() => /Hunt draft: service account used with kubectl/.test(document.querySelector('#panel-findings').textContent));

  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a saved hunt travels with the case and reruns the same on the re-dropped logs', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  const log = join(shared, 'data', 'audit2rbac-demo', 'demo.v1.log');
  await page.goto(`${origin}/`);
  await dropFiles(page, [log]);
  await page.click('[data-testid=tab-hunt]');
  await page.waitForSelector('[data-testid=hunt-builtin]');
  await page.waitForSelector('[data-testid=hunt-stack-row]');
  await stackBy(page, 'user', 'code:403');
  await page.fill('[data-testid=hunt-note]', 'who is refused most rarely');
  await page.click('[data-testid=hunt-save]');
  await page.click('[data-testid=hunt-saved] [data-testid=hunt-run]');
  await page.waitForSelector('[data-testid=hunt-stack-body][data-hunt=saved-1]');
  const result = async () => ({
    matches: await page.getAttribute('[data-testid=hunt-stack-body]', 'data-matches'),
    rows: await texts(page, '[data-testid=hunt-stack-row]'),
  });
  const first = await result();
  assert.ok(Number(first.matches) > 0 && first.rows.length > 0, JSON.stringify(first));

  await page.click('[data-testid=case-tools] summary');
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=case-save]')]);
  const saved = join(tmp, 'case.json');
  await d.saveAs(saved);
  const file = JSON.parse(readFileSync(saved, 'utf8'));
  assert.equal(file.schema, 'spoor.case/1');
  assert.equal(file.hunts.length, 1);
  assert.deepEqual([file.hunts[0].query, file.hunts[0].stack, file.hunts[0].note], ['code:403', ['user'], 'who is refused most rarely']);

  await page.goto(`${origin}/`);
  await page.reload();
  await page.setInputFiles('[data-testid=case-input]', saved);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 60_000 });
  await dropFiles(page, [log]);
  await page.click('[data-testid=tab-hunt]');
  await page.click('[data-testid=hunt-saved] [data-testid=hunt-run]');
  await page.waitForSelector('[data-testid=hunt-stack-body][data-hunt=saved-1]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=hunt-stack-row]').length > 0);
  assert.deepEqual(await result(), first);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});
