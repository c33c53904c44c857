// The HTML report (src/report/html.rs) opened in headless Chromium: it
// makes no request, runs no script, and shows hostile log text as text.
// Its inputs are the golden files the Rust tests write
// (tests/fixtures/report/, `UPDATE_GOLDEN=1 cargo test --test report_exports`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { launch, openPage, root, artifacts } from './harness.mjs';

const FIXTURES = join(root, 'tests', 'fixtures', 'report');
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function open(name) {
  const opened = await openPage(browser);
  const url = pathToFileURL(join(FIXTURES, name)).href;
  await opened.page.goto(url);
  await opened.page.waitForLoadState('load');
  return { ...opened, url };
}

test('hostile log text stays text: no script runs, nothing is requested', async () => {
  const { page, requests, problems, context, url } = await open('hostile.html');
  assert.deepEqual(requests.filter((u) => u !== url), [], 'only the document itself is loaded');
  assert.deepEqual(problems, [], 'no dialog, no page error');
  const dom = await page.evaluate(() => ({
    scripts: document.scripts.length,
    loaders: document.querySelectorAll('img, iframe, a, link, object, embed, script, form, base').length,
    handlers: [...document.querySelectorAll('*')].some((e) => [...e.attributes].some((a) => a.name.startsWith('on'))),
    styles: document.querySelectorAll('style').length,
    csp: document.querySelector('meta[http-equiv=Content-Security-Policy]')?.content ?? '',
  }));
  assert.equal(dom.scripts, 0);
  assert.equal(dom.loaders, 0);
  assert.equal(dom.handlers, false);
  assert.equal(dom.styles, 1, 'the hostile <style> is text');
  assert.match(dom.csp, /default-src 'none'/);
  const findings = await page.textContent('#findings');
  assert.ok(findings.includes("<script>alert('title')</script>"), 'title shown as text');
  assert.ok(findings.includes('"><img src=x onerror=alert(1)>'), 'matched value shown as text');
  assert.ok(findings.includes('javascript:alert(2)'));
  const custody = await page.textContent('#custody');
  assert.ok(custody.includes('<iframe src="https://evil.example/"></iframe>'));
  assert.ok(custody.includes("note <script>alert('note')</script>"));
  const incidents = await page.textContent('#incidents');
  assert.ok(incidents.includes('<a href="javascript:alert(4)">click</a>'));
  assert.ok(incidents.includes('<svg onload=alert(3)>'));
  await context.close();
});

test('the sample case report renders, draws its timeline and prints', async () => {
  const { page, requests, problems, context, url } = await open('case.html');
  assert.deepEqual(requests.filter((u) => u !== url), []);
  assert.deepEqual(problems, []);
  const marks = await page.locator('#timeline svg circle').count();
  assert.ok(marks > 0, 'findings drawn on the timeline');
  const rows = await page.locator('#findings tbody tr').count();
  assert.ok(rows > 5);
  await page.screenshot({ path: join(artifacts, 'report-case.png'), fullPage: true });
  const pdf = join(artifacts, 'report-case.pdf');
  await page.pdf({ path: pdf, format: 'A4', printBackground: true });
  assert.ok(statSync(pdf).size > 10_000);
  assert.deepEqual(requests.filter((u) => u !== url), [], 'printing requests nothing either');
  await context.close();
});
