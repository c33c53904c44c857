// The timeline's analyst aids on the sample incident: swimlanes of the most
// active identities (and pods), incident markers, gaps in logging (overview
// and timeline), hover tooltips, and clicking a marker to open it. Expected
// values come from the case's own JSON export, downloaded from the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startServer, openPage, foreign, artifacts } from './harness.mjs';

let browser, server, origin, tmp;

before(async () => {
  browser = await launch();
  ({ server, origin } = await startServer());
  tmp = mkdtempSync(join(tmpdir(), 'spoor-e2e-tl-'));
});
after(async () => {
  await browser?.close();
  server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const shot = (page, name) => page.screenshot({ path: join(artifacts, `timeline-${name}.png`), fullPage: true });

async function exportJson(page) {
  await page.click('[data-testid=case-tools] summary');
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('[data-testid=export-json]')]);
  const path = join(tmp, d.suggestedFilename());
  await d.saveAs(path);
  await page.click('[data-testid=case-tools] summary');
  return JSON.parse(readFileSync(path, 'utf8'));
}

const laneNames = (page) => page.$$eval('[data-testid=lane-label]', (ls) => ls.map((l) => l.getAttribute('data-lane-value')));
const laneCounts = (page) => page.$$eval('[data-testid=lane-label] .n', (ns) => ns.map((n) => Number(n.textContent.replace(/,/g, ''))));
/** Waits until the lanes show something other than `old` (a JSON string). */
const lanesChange = (page, old) => page.waitForFunction((o) => {
  const names = [...document.querySelectorAll('[data-testid=lane-label]')].map((l) => l.getAttribute('data-lane-value'));
  return names.length > 0 && JSON.stringify(names) !== o;
}, old, { timeout: 30_000 });

/** Tooltip lines when hovering canvas fractions (fx, y px from the canvas top). */
async function tooltips(page, y, steps = 60) {
  const box = await page.locator('[data-testid=timeline-canvas]').boundingBox();
  const out = [];
  for (let i = 1; i < steps; i++) {
    await page.mouse.move(box.x + (box.width * i) / steps, box.y + y);
    const visible = await page.isVisible('[data-testid=timeline-tip]');
    out.push(visible ? await page.textContent('[data-testid=timeline-tip]') : '');
  }
  return out;
}

test('sample incident: swimlanes, incident markers, gaps, tooltips, marker clicks', async () => {
  const { page, requests, problems, context } = await openPage(browser);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${origin}/#sample=anonymous-to-admin`);
  await page.waitForSelector('[data-testid=analysis-done]', { timeout: 120_000 });
  const report = await exportJson(page);
  const gaps = report.inputs.flatMap((i) => i.integrity.gaps.map((g) => ({ ...g, path: i.path })));
  assert.ok(report.incidents.length > 0, 'the sample has an incident');
  assert.ok(gaps.length > 0, 'the sample has gaps in its auth logs');

  // Overview: one row per gap, naming the input and its bounds.
  await page.waitForFunction(() => !document.querySelector('#span-text').textContent.includes('…'));
  const gapRows = await page.$$eval('[data-testid=gap-row]', (rs) => rs.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(gapRows.map((r) => r.slice(0, 3)), gaps.map((g) => [g.path, g.from, g.to]));
  const topUsers = await page.$$eval('#top-user tr td:first-child', (tds) => tds.map((t) => t.textContent));
  await shot(page, 'overview-gaps');

  // Timeline: lanes of the most active identities, as the overview counts them.
  await page.click('[data-testid=tab-timeline]');
  await page.waitForFunction(() => /events in view/.test(document.querySelector('[data-testid=timeline-info]').textContent));
  await page.waitForSelector('[data-testid=lane-label]');
  const users = await laneNames(page);
  assert.ok(users.length >= 3 && users.length <= 8, users.join());
  assert.deepEqual(users, topUsers.slice(0, users.length));
  assert.ok(users.includes('system:anonymous'), `the attacker has a lane: ${users}`);
  const counts = await laneCounts(page);
  assert.deepEqual([...counts].sort((a, b) => b - a), counts, 'most active first');

  // Markers: one incident bar per incident; every gap shaded.
  const canvas = page.locator('[data-testid=timeline-canvas]');
  assert.equal(Number(await canvas.getAttribute('data-incident-markers')), report.incidents.length);
  assert.equal(Number(await canvas.getAttribute('data-gaps')), gaps.length);
  await shot(page, 'lanes-markers');

  // Tooltips: bins with their counts everywhere; in the marker band, the
  // incident and finding titles under the pointer.
  const plot = await tooltips(page, 150);
  assert.ok(plot.some((t) => /\d{4}-\d\d-\d\dT\S+ – \S+: \d+ events/.test(t)), plot.join('\n'));
  assert.ok(plot.some((t) => /k8s-audit: \d+/.test(t)), 'counts per source');
  assert.ok(plot.some((t) => /gap: no events from \S+auth\.log for/.test(t)), 'gaps under the pointer');
  const band = await tooltips(page, 6, 120);
  const titles = new Set(report.findings.map((f) => f.title));
  const named = band.flatMap((t) => [...titles].filter((title) => t.includes(title)));
  assert.ok(named.length > 0, `finding titles in tooltips: ${band.filter(Boolean).slice(0, 3).join(' | ')}`);
  const inc = report.incidents[0];
  const incidentTips = await tooltips(page, 18);
  assert.ok(incidentTips.some((t) => t.includes(`incident ${inc.id} (${inc.level}`)), incidentTips.join('\n'));
  await page.mouse.move(10, 10);
  assert.equal(await page.isVisible('[data-testid=timeline-tip]'), false, 'the tooltip leaves with the pointer');

  // Clicking an incident bar opens the incident in the overview.
  const box = await canvas.boundingBox();
  const idx = incidentTips.findIndex((t) => t.includes(`incident ${inc.id}`));
  const x = box.x + (box.width * (idx + 1)) / 60;
  await page.mouse.click(x, box.y + 18);
  assert.equal(await page.getAttribute('[data-testid=tab-overview]', 'aria-selected'), 'true');
  assert.equal(await page.getAttribute('[data-testid=incident].selected', 'data-incident'), '0');
  await shot(page, 'incident-selected');
  // Clicking a finding marker selects that finding.
  await page.click('[data-testid=tab-timeline]');
  const findingAt = band.findIndex((t) => /▼ #\d+ /.test(t));
  const picked = Number(band[findingAt].match(/▼ #(\d+) /)[1]);
  await page.mouse.click(box.x + (box.width * (findingAt + 1)) / 120, box.y + 6);
  assert.equal(await page.getAttribute('[data-testid=tab-findings]', 'aria-selected'), 'true');
  await page.waitForFunction(() => /sel=\d+/.test(location.hash));
  // The finding nearest to the pointer, listed first in the tooltip.
  assert.equal(Number(new URL(page.url()).hash.match(/sel=(\d+)/)[1]), picked);

  // A lane's label filters by its identity: the explorer counts its events.
  await page.click('[data-testid=tab-timeline]');
  const anon = users.indexOf('system:anonymous');
  await page.click(`[data-testid=lane-label] >> nth=${anon}`);
  assert.match(await page.inputValue('[data-testid=query-input]'), /(^| )user:system:anonymous$/);
  await lanesChange(page, JSON.stringify(users));
  assert.deepEqual(await laneNames(page), ['system:anonymous'], 'one lane left: the filtered identity');
  await page.click('[data-testid=tab-explorer]');
  await page.waitForFunction(() => document.querySelector('[data-testid=explorer-total]').getAttribute('data-total'));
  assert.equal(Number(await page.getAttribute('[data-testid=explorer-total]', 'data-total')), counts[anon]);

  // Lanes by pod follow the same selection.
  await page.click('[data-testid=tab-timeline]');
  await page.click('#query-clear');
  await lanesChange(page, JSON.stringify(['system:anonymous']));
  await page.selectOption('[data-testid=lane-select]', 'pod');
  await lanesChange(page, JSON.stringify(users));
  const pods = await laneNames(page);
  assert.ok(pods.every((p) => !users.includes(p)), pods.join());
  assert.ok(pods.some((p) => /^(api|cart|frontend|coredns)-/.test(p)), pods.join());
  await shot(page, 'lanes-by-pod');

  assert.deepEqual(foreign(requests, origin), []);
  assert.deepEqual(problems, []);
  await context.close();
});
