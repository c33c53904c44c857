// Exports and case files from the page: every export format rendered by
// the worker and downloaded from a blob: URL; a case saved, the page
// reloaded, the case opened again without its logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign } from './harness.mjs';

let browser, server, origin, tmp;
before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
  tmp = mkdtempSync(join(tmpdir(), 'spoor-case-'));
});
after(async () => {
  await browser?.close();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const FORMATS = ['text', 'json', 'ndjson', 'csv', 'html', 'timesketch', 'navigator', 'sarif', 'ecs-bulk'];

async function download(page, testid) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(`[data-testid=${testid}]`)]);
  const path = join(tmp, d.suggestedFilename());
  await d.saveAs(path);
  return { name: d.suggestedFilename(), text: readFileSync(path, 'utf8'), url: d.url() };
}

test('every export format downloads from the page; nothing leaves it', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const findings = Number(await page.textContent('[data-testid=findings-count]'));
  assert.ok(findings > 0);
  await page.click('[data-testid=case-tools] summary');
  await page.fill('[data-testid=case-notes]', 'Reviewed by <ana> & "bob"');
  const got = {};
  for (const f of FORMATS) {
    got[f] = await download(page, `export-${f}`);
    assert.match(got[f].url, /^blob:/, f);
    assert.ok(got[f].text.length > 0, f);
  }
  const json = JSON.parse(got.json.text);
  assert.equal(json.schema, 'spoor.report/1');
  assert.equal(json.findings.length, findings);
  assert.equal(got.json.name, 'spoor-report.json');
  assert.equal(JSON.parse(got.sarif.text).version, '2.1.0');
  assert.match(got.csv.text.split('\n')[0], /^\S+(,\S+)+/);
  assert.match(got.csv.text.split('\n')[0], /rule/i);
  const layer = JSON.parse(got.navigator.text);
  assert.ok(Array.isArray(layer.techniques) && layer.techniques.length > 0, 'navigator techniques');
  assert.match(got.html.text, /Reviewed by &lt;ana&gt; &amp; (&quot;|&#34;|")bob/);
  assert.match(got.text.text, new RegExp(String(findings)));
  for (const f of ['ndjson', 'timesketch', 'ecs-bulk']) {
    for (const line of got[f].text.split('\n').filter(Boolean)) JSON.parse(line);
  }
  assert.match(await page.textContent('[data-testid=export-status]'), /Exported ecs-bulk/);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a saved case opens again after a reload: same counts and view, logs said missing', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=stolen-kubeconfig`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const counts = async () => ({
    events: await page.textContent('[data-testid=events-count]'),
    findings: await page.textContent('[data-testid=findings-count]'),
    incidents: await page.textContent('[data-testid=incidents-count]'),
  });
  const before = await counts();
  await page.click('[data-testid=tab-findings]');
  await page.selectOption('[data-testid=f-sev]', 'high');
  await page.click('[data-testid=finding-row] >> nth=0');
  const title = await page.textContent('[data-testid=finding-title]');
  const shown = await page.getAttribute('[data-testid=findings-shown]', 'data-shown');
  await page.click('[data-testid=case-tools] summary');
  await page.fill('[data-testid=case-notes]', 'carol did not do this');
  const saved = await download(page, 'case-save');
  const file = JSON.parse(saved.text);
  assert.equal(file.schema, 'spoor.case/1');
  assert.equal(file.report.findings.length, Number(before.findings));
  assert.match(file.view, /tab=findings/);
  assert.match(file.view, /sev=high/);
  assert.equal(file.notes, 'carol did not do this');
  assert.ok(!saved.text.includes('"logs"'), 'no raw logs');

  await page.goto(`${origin}/`);
  await page.reload();
  await page.setInputFiles('[data-testid=case-input]', join(tmp, saved.name));
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 60_000 })
    .catch(async (e) => assert.fail(`${e.message}\nstatus: ${await page.textContent('#status')}\n${problems.join('\n')}`));
  assert.deepEqual(await counts(), before);
  assert.equal(await page.getAttribute('[data-testid=tab-findings]', 'aria-selected'), 'true');
  assert.equal(await page.inputValue('[data-testid=f-sev]'), 'high');
  assert.equal(await page.getAttribute('[data-testid=findings-shown]', 'data-shown'), shown);
  assert.equal(await page.textContent('[data-testid=finding-title]'), title);
  assert.equal(await page.inputValue('[data-testid=case-notes]'), 'carol did not do this');
  assert.match(await page.textContent('[data-testid=case-notice]'), /raw logs are not in a case file/);
  // Rule documentation still comes from the rule pack; evidence says the logs are missing.
  await page.waitForFunction(() => /About this rule/.test(document.querySelector('[data-testid=rule-doc]')?.textContent ?? ''));
  await page.waitForFunction(() => /not loaded/.test(document.querySelector('[data-testid=evidence]').textContent));
  await page.click('[data-testid=tab-explorer]');
  await page.waitForFunction(() => /not loaded/.test(document.querySelector('[data-testid=query-error]').textContent));
  // Exports work from the opened case too.
  await page.click('[data-testid=case-tools] summary');
  const json = JSON.parse((await download(page, 'export-json')).text);
  assert.equal(json.findings.length, Number(before.findings));
  assert.ok(!page.url().includes('sample='), page.url());
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a file that is not a case is refused with a message', async () => {
  const { page, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  await page.setInputFiles('[data-testid=case-input]', { name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"schema":"spoor.report/1"}') });
  await page.waitForFunction(() => /Cannot open x\.json: not a Spoor case file/.test(document.querySelector('#status').textContent));
  await context.close();
});
