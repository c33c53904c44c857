// The analyst's workspace: views, worker requests, URL state, hostile
// content, responsiveness under a large file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign, dropFiles, shared, artifacts } from './harness.mjs';

const DEMO = join(shared, 'data', 'audit2rbac-demo', 'demo.v1.log');
let browser, server, origin, tmp;

before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
  tmp = mkdtempSync(join(tmpdir(), 'spoor-e2e-'));
});
after(async () => {
  await browser?.close();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const shot = (page, name) => page.screenshot({ path: join(artifacts, `workspace-${name}.png`), fullPage: false });
const total = async (page) => {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=explorer-total]');
    return t && t.getAttribute('data-total') !== null && t.textContent !== 'counting…';
  }, null, { timeout: 30_000 });
  return Number(await page.getAttribute('[data-testid=explorer-total]', 'data-total'));
};

function auditLine(i, { user = `dev-${i % 7}`, ua = 'kubectl/v1.29.0', name = `obj-${i % 50}`, message = '', code = 200, verb = 'get' } = {}) {
  const t = new Date(Date.UTC(2026, 2, 14, 2, 0, 0) + i * 37).toISOString();
  return JSON.stringify({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `id-${i}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/configmaps/${encodeURIComponent(name)}`, verb,
    user: { username: user, groups: ['system:authenticated'] }, sourceIPs: [`10.1.${i % 200}.${i % 250}`], userAgent: ua,
    objectRef: { resource: 'configmaps', namespace: 'default', name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code, ...(message ? { message } : {}) },
    requestReceivedTimestamp: t, stageTimestamp: t,
  });
}

test('sample case: counts, findings filter, timeline brush, evidence raw record', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const findings = Number(await page.textContent('[data-testid=findings-count]'));
  assert.ok(findings > 0, `findings ${findings}`);
  assert.match(await page.textContent('[data-testid=incidents-count]'), /^\d+$/);
  await page.waitForFunction(() => !document.querySelector('#span-text').textContent.includes('…'));
  assert.match(await page.textContent('#top-user'), /\S/);
  await shot(page, 'overview');

  // Findings: filter by severity.
  await page.click('[data-testid=tab-findings]');
  const all = await page.locator('[data-testid=finding-row]').count();
  assert.equal(all, findings);
  await page.selectOption('[data-testid=f-sev]', 'high');
  const high = await page.locator('[data-testid=finding-row]').count();
  assert.ok(high <= all, `${high} of ${all}`);
  const levels = await page.$$eval('[data-testid=finding-row] td:first-child', (tds) => tds.map((t) => t.textContent));
  assert.ok(levels.every((l) => l === 'high' || l === 'critical'), levels.join());
  await page.selectOption('[data-testid=f-sev]', '');
  assert.equal(await page.locator('[data-testid=finding-row]').count(), all);

  // A finding's evidence, with its raw record re-read from the input.
  await page.click('[data-testid=finding-row] >> nth=0');
  await page.waitForSelector('[data-testid=raw-record]');
  await page.waitForFunction(() => {
    const pre = document.querySelector('[data-testid=raw-record]');
    return pre && pre.textContent !== 'loading…';
  }, null, { timeout: 30_000 });
  const raw = await page.textContent('[data-testid=raw-record]');
  assert.ok(raw.length > 20, raw);
  // The worker's own failure messages, not words a log line may contain.
  assert.ok(!/^no input #|are not re-read yet|cannot read the file again/.test(raw), raw);
  assert.match(raw, /"auditID"/);
  await page.click('[data-testid=surround-button]');
  await page.waitForFunction(() => /within ± 5 minutes|no event/.test(document.querySelector('[data-testid=surround]').textContent));
  await shot(page, 'findings');
  assert.match(page.url(), /sel=\d+/);

  // Timeline: shift-drag a range; the explorer's count follows.
  await page.click('[data-testid=tab-timeline]');
  const before = await total(page);
  assert.ok(before > 500, `${before}`);
  const canvas = await page.locator('[data-testid=timeline-canvas]').boundingBox();
  await page.waitForFunction(() => /events in view/.test(document.querySelector('[data-testid=timeline-info]').textContent));
  const y = canvas.y + canvas.height / 2;
  await page.keyboard.down('Shift');
  await page.mouse.move(canvas.x + canvas.width * 0.35, y);
  await page.mouse.down();
  await page.mouse.move(canvas.x + canvas.width * 0.5, y, { steps: 5 });
  await page.mouse.move(canvas.x + canvas.width * 0.6, y, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await page.waitForFunction((n) => {
    const t = document.querySelector('[data-testid=explorer-total]').getAttribute('data-total');
    return t !== null && t !== '' && Number(t) !== n;
  }, before, { timeout: 30_000 });
  const brushed = await total(page);
  assert.ok(brushed < before, `${brushed} < ${before}`);
  assert.match(await page.inputValue('[data-testid=query-input]'), /after:\S+ before:\S+/);
  // Zoom with the wheel and pan by dragging: the chart stays answerable.
  await page.mouse.move(canvas.x + canvas.width / 2, y);
  await page.mouse.wheel(0, -300);
  await page.mouse.down();
  await page.mouse.move(canvas.x + canvas.width / 3, y, { steps: 4 });
  await page.mouse.up();
  await shot(page, 'timeline');

  // Explorer: the brushed range, virtual rows, raw record of a row.
  await page.click('[data-testid=tab-explorer]');
  assert.equal(await total(page), brushed);
  const rows = await page.locator('[data-testid=event-row]').count();
  assert.ok(rows > 0 && rows < 120, `rows in DOM: ${rows}`);
  await page.click('[data-testid=event-row] >> nth=0 >> td.col-time');
  await page.waitForFunction(() => {
    const pre = document.querySelector('[data-testid=explorer-raw-text]');
    return pre && pre.textContent.length > 10 && pre.textContent !== 'loading…';
  }, null, { timeout: 30_000 });
  // A bad query says what is wrong.
  await page.fill('[data-testid=query-input]', 'verb:get colour:red');
  await page.press('[data-testid=query-input]', 'Enter');
  await page.waitForFunction(() => /colour/.test(document.querySelector('[data-testid=query-error]').textContent));
  assert.match(await page.textContent('[data-testid=query-error]'), /column 10/);
  await shot(page, 'query-error');
  // ATT&CK: a lit cell filters the findings.
  await page.click('[data-testid=tab-attack]');
  const lit = page.locator('.tech.lit').first();
  if (await lit.count()) {
    await lit.click();
    assert.equal(await page.getAttribute('[data-testid=tab-findings]', 'aria-selected'), 'true');
    const shown = Number(await page.getAttribute('[data-testid=findings-shown]', 'data-shown'));
    assert.ok(shown > 0 && shown <= findings);
  }
  await page.click('[data-testid=tab-attack]');
  await shot(page, 'attack');
  // Keyboard: ? opens the help, Escape closes it.
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('[data-testid=help]'), true);
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('[data-testid=help]'), false);
  // Dark theme.
  await page.click('[data-testid=theme-toggle]');
  await page.click('[data-testid=tab-timeline]');
  await shot(page, 'timeline-theme-toggled');
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('URL state round-trips: sample and dropped files', async () => {
  const { page, problems, context } = await openPage(browser);
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  await page.click('[data-testid=tab-explorer]');
  await page.fill('[data-testid=query-input]', 'verb:create');
  await page.press('[data-testid=query-input]', 'Enter');
  const n = await total(page);
  assert.match(page.url(), /tab=explorer/);
  assert.match(page.url(), /q=verb%3Acreate/);
  await page.reload();
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=tab-explorer]', 'aria-selected'), 'true');
  assert.equal(await page.inputValue('[data-testid=query-input]'), 'verb:create');
  assert.equal(await total(page), n);

  // Dropped files: the same files dropped again restore tab and selection.
  await page.goto(`${origin}/`);
  await dropFiles(page, DEMO);
  await page.click('[data-testid=tab-explorer]');
  await page.fill('[data-testid=query-input]', 'verb:list');
  await page.press('[data-testid=query-input]', 'Enter');
  assert.equal(await total(page), 14);
  const url = page.url();
  await page.goto('about:blank');
  await page.goto(url);
  await dropFiles(page, DEMO);
  assert.equal(await page.getAttribute('[data-testid=tab-explorer]', 'aria-selected'), 'true');
  assert.equal(await page.inputValue('[data-testid=query-input]'), 'verb:list');
  assert.equal(await total(page), 14);
  // Click-to-filter puts log values in the query, but not in the URL.
  await page.click('[data-testid=event-row] >> nth=0 >> td.col-user');
  await page.waitForFunction(() => /user:/.test(document.querySelector('[data-testid=query-input]').value));
  assert.doesNotMatch(page.url(), /system%3Aadmin|system:admin/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('hostile log content and file names render as inert text', async () => {
  const evil = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'javascript:alert(1)'];
  const name = '<img src=x onerror=alert(1)>.log';
  const path = join(tmp, name);
  const lines = [];
  for (let i = 0; i < 30; i++) {
    const e = evil[i % evil.length];
    lines.push(auditLine(i, { user: e, ua: e, name: e, message: `${e} message`, code: i % 2 ? 403 : 200, verb: i % 3 ? 'get' : 'delete' }));
  }
  writeFileSync(path, lines.join('\n') + '\n');
  const { page, requests, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  const scripts = await page.locator('script').count();
  await dropFiles(page, path);
  assert.equal(await page.textContent('[data-testid=events-count]'), '30');
  assert.match(await page.textContent('#inputs-body'), /<img src=x onerror=alert\(1\)>\.log/);
  await page.click('[data-testid=tab-overview]');
  await page.waitForFunction(() => /script/.test(document.querySelector('#top-user').textContent));
  await page.click('[data-testid=tab-explorer]');
  await page.waitForSelector('[data-testid=event-row] td');
  await page.click('.columns-menu summary');
  await page.check('[data-testid=column-user_agent]');
  const text = await page.textContent('[data-testid=explorer-body]');
  for (const e of evil) assert.ok(text.includes(e), `${e} shown as text`);
  await page.click('[data-testid=event-row] >> nth=0 >> td.col-time');
  await page.waitForFunction(() => (document.querySelector('[data-testid=explorer-raw-text]')?.textContent ?? '').includes('alert(1)'));
  // Entity view of a hostile identity.
  await page.click('[data-testid=tab-overview]');
  await page.click('#top-user .linkish >> nth=0');
  await page.waitForSelector('[data-testid=entity-row]');
  await page.click('[data-testid=tab-findings]');
  if (await page.locator('[data-testid=finding-row]').count()) {
    await page.click('[data-testid=finding-row] >> nth=0');
    await page.waitForSelector('[data-testid=raw-record]');
  }
  // Swimlanes name hostile identities as text, and filter by them.
  await page.click('[data-testid=tab-timeline]');
  await page.waitForSelector('[data-testid=lane-label]');
  const lanes = await page.$$eval('[data-testid=lane-label]', (ls) => ls.map((l) => l.firstChild.textContent));
  assert.deepEqual([...lanes].sort(), [...evil].sort(), 'one lane per hostile identity, as text');
  await page.click('[data-testid=lane-label] >> nth=0');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=lane-label]').length === 1);
  await page.click('[data-testid=tab-explorer]');
  await shot(page, 'hostile');
  assert.equal(await page.locator('script').count(), scripts, 'no script element added');
  assert.equal(await page.locator('img').count(), 0, 'no img element');
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, [], 'no dialog, error or console error');
  await context.close();
});

test('the page answers clicks while a 50 MB file is analysed', async () => {
  const path = join(tmp, 'big-audit.log');
  await new Promise((resolve, reject) => {
    const out = createWriteStream(path);
    out.on('error', reject);
    let bytes = 0;
    let i = 0;
    const chunk = [];
    while (bytes < 50 * 1024 * 1024) {
      const line = auditLine(i++, { code: i % 17 === 0 ? 403 : 200, verb: ['get', 'list', 'watch', 'create'][i % 4] }) + '\n';
      bytes += line.length;
      chunk.push(line);
    }
    out.end(chunk.join(''), resolve);
  });
  const { page, problems, context } = await openPage(browser);
  await page.goto(`${origin}/`);
  const started = Date.now();
  await page.setInputFiles('input[data-testid=file-input]', path);
  await page.waitForSelector('[data-testid=progress-row]', { timeout: 60_000 });
  const timings = [];
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now();
    await page.click('#help-button');
    await page.waitForSelector('[data-testid=help]', { state: 'visible', timeout: 10_000 });
    await page.click('#help-close');
    await page.waitForSelector('[data-testid=help]', { state: 'hidden', timeout: 10_000 });
    timings.push(Date.now() - t0);
    assert.equal(await page.locator('[data-testid=analysis-done]').count(), 0, 'answered before the analysis ended');
  }
  await page.waitForFunction(() => /\/s/.test(document.querySelector('[data-testid=progress]').textContent)
    || document.querySelector('[data-testid=analysis-done]'), null, { timeout: 120_000 });
  const progress = await page.textContent('[data-testid=progress]');
  await shot(page, 'large-file-progress');
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 300_000 });
  const took = Date.now() - started;
  console.log(`# 50 MB: click round trips ${timings.join(', ')} ms during analysis; analysis ${took} ms; progress said: ${progress.replace(/\s+/g, ' ').slice(0, 160)}`);
  assert.match(progress, /\/s/);
  const events = Number(await page.textContent('[data-testid=events-count]'));
  assert.ok(events > 50_000, `${events}`);
  // Querying the big case stays quick.
  await page.click('[data-testid=tab-explorer]');
  const t0 = Date.now();
  await page.fill('[data-testid=query-input]', 'verb:create code:>=400');
  await page.press('[data-testid=query-input]', 'Enter');
  const n = await total(page);
  console.log(`# query over ${events} events: ${n} matches, ${Date.now() - t0} ms round trip`);
  await page.click('[data-testid=tab-timeline]');
  await page.waitForFunction(() => /events in view/.test(document.querySelector('[data-testid=timeline-info]').textContent));
  await shot(page, 'large-file-timeline');
  assert.deepEqual(problems, []);
  await context.close();
});

test('cancelling a case stops the tools worker hashing its file; the next case is hashed', async () => {
  const path = join(tmp, 'cancelled-audit.log');
  const lines = [];
  for (let i = 0; i < 100_000; i++) lines.push(auditLine(i));
  writeFileSync(path, lines.join('\n') + '\n');
  const { page, problems, context } = await openPage(browser);
  // What the page asks of its workers, and the digests they answer, in order.
  await page.addInitScript(() => {
    const seen = (window.__seen = []);
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, ...rest) {
      // A slice on its way to be hashed carries the hash request's id.
      const hashing = message && typeof message === 'object' && 'id' in message && 'from' in message;
      if (hashing || (message && typeof message === 'object' && 'stop' in message)) {
        seen.push(hashing ? 'hash' : 'stop');
      }
      return post.call(this, message, ...rest);
    };
    const handler = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage');
    Object.defineProperty(Worker.prototype, 'onmessage', {
      get() { return handler.get.call(this); },
      set(fn) {
        handler.set.call(this, (e) => {
          if (e.data && typeof e.data === 'object' && 'sha256' in e.data) seen.push(`sha256 ${e.data.sha256}`);
          return fn(e);
        });
      },
    });
  });
  // The tools worker starts with the case, and hashes the slices the page
  // reads: its script is held back until the case is cancelled, so the
  // stop always finds the hash under way, however fast the machine.
  let release;
  const cancelled = new Promise((ok) => { release = ok; });
  await context.route('**/tools.js', async (route) => { await cancelled; await route.continue(); });
  await page.goto(`${origin}/`);
  await page.setInputFiles('input[data-testid=file-input]', path);
  await page.waitForFunction(() => window.__seen.includes('hash'));
  await page.click('#cancel-button');
  release();
  await page.waitForFunction(() => /cancelled/i.test(document.body.textContent));
  // Long enough for the whole file to be hashed, had it not been stopped.
  await page.waitForTimeout(4000);
  const seen = await page.evaluate(() => window.__seen);
  const stop = seen.indexOf('stop');
  assert.ok(stop > 0, seen.join(', '));
  assert.deepEqual(seen.slice(stop + 1), [], `a digest after the stop: ${seen.join(', ')}`);
  // The next analysis (the cancelled file, kept in the case, and a new
  // one) has both files hashed by the tools worker.
  await dropFiles(page, DEMO);
  const rows = (await page.locator('[data-testid=input-row]').allTextContents()).join('\n');
  assert.match(rows, /ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3/);
  const digests = (await page.evaluate(() => window.__seen)).filter((s) => s.startsWith('sha256 '));
  assert.equal(digests.length, 2, digests.join(', '));
  assert.ok(digests.includes('sha256 ac15e3b4fc4b35b6799b17ed711bd629f33f70104370a5a7ef4197c2fc0cf1c3'));
  for (const d of digests) assert.ok(rows.includes(d.slice('sha256 '.length)), `${d} not shown`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('evidence inside an archive member is re-read from the archive', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  // ssh-to-kubelet's node logs arrive as a support-bundle .tar.gz.
  await page.goto(`${origin}/#sample=ssh-to-kubelet`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  await page.click('[data-testid=tab-findings]');
  await page.fill('[data-testid=f-text]', 'SSH Brute Force');
  await page.click('[data-testid=finding-row] >> nth=0');
  await page.waitForSelector('.evidence-head');
  const head = await page.textContent('.evidence-head');
  assert.match(head, /support-bundle\.tar\.gz!.*auth\.log:\d+/, head);
  await page.waitForFunction(() => {
    const pre = document.querySelector('[data-testid=raw-record]');
    return pre && pre.textContent !== 'loading…';
  }, null, { timeout: 30_000 });
  const raw = await page.textContent('[data-testid=raw-record]');
  // The attacker's failed logins, read back from auth.log inside the bundle.
  assert.match(raw, /prod-worker-03 sshd\[\d+\]: .*203\.0\.113\.99/, raw);
  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});
