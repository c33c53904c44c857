// Where the analysis worker spends its time: drops one file on the release
// page in headless Chromium and records a V8 CPU profile of the analysis
// worker (DevTools protocol, sampling every --interval µs). Prints the
// functions with the most self time (wasm functions by name when the wasm
// keeps its name section) and writes the whole profile as JSON, which
// Chromium's DevTools opens (Performance → Load profile).
//
//   make dist && node bench/browser-profile.mjs --file PATH [--out worker.cpuprofile] [--top 40]
//     [--js-flags=--no-wasm-inlining]
//
// V8 inlines small wasm functions into their callers, so their time shows
// as the callers' own; --js-flags=--no-wasm-inlining keeps them apart
// (memcmp, at 8 % of the worker, was only seen so).
//
// Names: `make dist` runs wasm-opt without -g, which drops them. For a
// readable profile, rebuild the scripts with names kept:
//   make web WASM_OPT_FLAGS=-g
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.mjs';
import { servePage, run } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    file: { type: 'string' },
    out: { type: 'string', default: 'worker.cpuprofile' },
    top: { type: 'string', default: '40' },
    interval: { type: 'string', default: '500' },
    'js-flags': { type: 'string' },
  },
});

async function main() {
  if (!opts.file) throw new Error('--file PATH: the file to drop on the page');
  const { server, origin } = await servePage();
  const browser = await launchChromium(opts['js-flags'] ? [`--js-flags=${opts['js-flags']}`] : []);
  try {
    const page = await browser.newPage();
    await page.goto(origin + '/');
    const cdp = await page.context().newCDPSession(page);
    // Each dedicated worker the page starts attaches here, paused until
    // the profiler runs in it; commands go through the page's session.
    let nextId = 1;
    const pending = new Map();
    const workers = [];
    const send = (sessionId, method, params = {}) => new Promise((ok, fail) => {
      const id = nextId++;
      pending.set(id, { ok, fail });
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(fail);
    });
    cdp.on('Target.receivedMessageFromTarget', ({ message }) => {
      const m = JSON.parse(message);
      const p = m.id && pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.fail(new Error(JSON.stringify(m.error))); else p.ok(m.result);
    });
    cdp.on('Target.attachedToTarget', async ({ sessionId, targetInfo }) => {
      if (targetInfo.type !== 'worker') return;
      const started = (async () => {
        await send(sessionId, 'Profiler.enable');
        await send(sessionId, 'Profiler.setSamplingInterval', { interval: Number(opts.interval) });
        await send(sessionId, 'Profiler.start');
        await send(sessionId, 'Runtime.runIfWaitingForDebugger');
      })();
      workers.push({ sessionId, url: targetInfo.url, started });
    });
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: false });

    const t0 = performance.now();
    await page.setInputFiles('input[data-testid=file-input]', opts.file);
    await page.waitForSelector('[data-testid=analysis-done]', { timeout: 0 });
    const wall = (performance.now() - t0) / 1000;
    // The analysis worker is the busiest: the profile with most samples
    // outside (idle). (The tools worker hashes the files meanwhile.)
    const busy = (profile) => {
      const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
      return profile.samples.filter((id) => !idle.has(id)).length;
    };
    let best = null;
    for (const w of workers) {
      await w.started;
      const { profile } = await send(w.sessionId, 'Profiler.stop');
      if (!best || busy(profile) > busy(best)) best = profile;
    }
    writeFileSync(opts.out, JSON.stringify(best));
    const self = new Map();
    const byId = new Map(best.nodes.map((n) => [n.id, n]));
    for (const id of best.samples) {
      const f = byId.get(id).callFrame;
      const name = f.functionName || `(${f.url.split('/').pop() || 'anonymous'})`;
      self.set(name, (self.get(name) ?? 0) + 1);
    }
    const total = best.samples.length;
    console.log(`${opts.file}: analysis ${wall.toFixed(1)} s, ${total} samples; profile in ${opts.out}`);
    for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))) {
      console.log(`${(100 * n / total).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}
run(main);
