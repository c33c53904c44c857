// The hostile corpus (tests/hostile/) dropped on the page all at once: the
// small committed cases (the big generated ones are for the native tests).
// Payloads set `window.__pwned` if they ever run. Asserts: no dialog, no
// script runs, no script/img element appears, no request leaves, the
// worker finishes, the per-input counts are the native expected figures,
// and the payloads are shown as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign, dropFiles, root, artifacts } from './harness.mjs';

const LOGS = join(root, 'tests', 'hostile', 'logs');
const RULES = join(root, 'tests', 'hostile', 'rules');
const PAYLOAD = '<script>window.__pwned=1</script>';

const cases = (dir) => readdirSync(dir).filter((f) => !f.endsWith('.expected.json')).sort();

/** Every input the native test expects, by path. */
function expectedInputs() {
  const out = new Map();
  for (const f of cases(LOGS)) {
    const want = JSON.parse(readFileSync(join(LOGS, `${f}.expected.json`), 'utf8'));
    for (const i of want.inputs) out.set(i.path, i);
  }
  return out;
}

/** Input rows as {path: [lines, events, unparsed]} from the inputs table. */
async function inputRows(page) {
  return page.$$eval('[data-testid=input-row]', (rows) => Object.fromEntries(rows.map((r) => {
    const c = [...r.children].map((td) => td.textContent);
    const n = (s) => Number(s.replace(/[^0-9]/g, ''));
    return [c[0], [n(c[3]), n(c[4]), n(c[5])]];
  })));
}

test('the hostile corpus runs as inert text with the native counts', async () => {
  const browser = await launch();
  const { server, origin } = await startServer();
  try {
    await dropCorpus(browser, origin);
  } finally {
    await browser.close();
    server.close();
  }
});

async function dropCorpus(browser, origin) {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  const scripts = await page.locator('script').count();
  // Rule files that read as Sigma join the pack (one has a script in its title);
  // the others fail to load with a message.
  const rules = cases(RULES).filter((f) => f !== 'not-yaml.yml').map((f) => join(RULES, f));
  await dropFiles(page, [...cases(LOGS).map((f) => join(LOGS, f)), ...rules]);

  const want = expectedInputs();
  const got = await inputRows(page);
  for (const [path, i] of want) {
    // The archive's own entry (problems only) has no counts to compare.
    if (i.format === null) continue;
    assert.deepEqual(got[path], [i.lines, i.events, i.unparsed], path);
  }
  const events = [...want.values()].reduce((n, i) => n + i.events, 0);
  assert.equal(await page.textContent('[data-testid=events-count]'), String(events));

  const inputs = await page.textContent('#inputs-body');
  assert.ok(inputs.includes(`symlinks.tar!logs/${PAYLOAD}.log`), 'member name shown as text');
  assert.ok(inputs.includes('is a symbolic link: skipped'));

  // Every view that shows log strings.
  await page.click('[data-testid=tab-overview]');
  await page.waitForFunction(() => document.querySelector('#top-user')?.textContent.includes('__pwned'));
  await page.click('[data-testid=tab-explorer]');
  await page.fill('[data-testid=query-input]', '"__pwned"');
  await page.press('[data-testid=query-input]', 'Enter');
  await page.waitForSelector('[data-testid=event-row] td');
  await page.click('.columns-menu summary');
  await page.check('[data-testid=column-user_agent]');
  const rows = await page.textContent('[data-testid=explorer-body]');
  assert.ok(rows.includes(PAYLOAD), 'payload shown as text in the explorer');
  await page.click('[data-testid=event-row] >> nth=0 >> td.col-time');
  await page.waitForFunction(() => (document.querySelector('[data-testid=explorer-raw-text]')?.textContent ?? '').includes('__pwned'));
  await page.click('[data-testid=tab-findings]');
  await page.waitForSelector('[data-testid=finding-row]');
  assert.ok((await page.textContent('body')).includes(PAYLOAD), 'a rule title with a script shows as text');
  await page.click(`[data-testid=finding-row] >> text=${PAYLOAD}`);
  await page.waitForSelector('[data-testid=raw-record]');
  await page.screenshot({ path: join(artifacts, 'hostile-corpus.png') });

  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
  assert.equal(await page.locator('script').count(), scripts, 'no script element added');
  assert.equal(await page.locator('img, svg[onload], iframe, object, embed').count(), 0, 'no injected element');
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
  assert.deepEqual(foreign(requests, origin), [], 'no request leaves');
  assert.deepEqual(problems, [], 'no dialog, page error or console error');
  await context.close();
}
