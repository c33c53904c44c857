// Analysis throughput and peak memory of the release page in headless
// Chromium: drops one audit log on the page's file input (as a user would)
// and waits for the analysis to finish, sampling memory meanwhile. Prints one
// Markdown table row:
//   wall s        drop → the page shows its "analysis done" marker
//   analysis s    the page's own `spoor:analysis` measure (src/web/perf.rs):
//                 files handed to the worker → its report received
//   CPU s         user+sys time of every Chromium process over the run, the
//                 figure to compare on a loaded machine; a second table
//                 splits it by thread (analysis worker, tools worker, page,
//                 V8's background threads, browser and GPU processes)
//   MiB/s         file size over analysis time and over CPU time
//   worker wasm   the worker's wasm memory: it reports the size with each
//                 progress message and its report; wasm memory never
//                 shrinks, so the last is the peak
//   page buffers  the page's ArrayBuffer backing stores, its own wasm memory
//                 among them (DevTools protocol, Runtime.getHeapUsage)
//   JS heaps      page and worker, from performance.measureUserAgentSpecificMemory()
//                 (which counts JS heaps, not wasm memory); the page is served
//                 cross-origin isolated (COOP/COEP) so it may call it
//   total         worker wasm + page buffers + JS heaps, in one sample
// Memory columns are peaks over samples taken every --interval ms (500).
//
//   make dist && node bench/browser-throughput.mjs [--scale BYTES] [--file PATH] [--interval MS] [--cli] [--repeat N]
//
// --cli: after each page run, runs `spoor scan FILE --threads 1` (release
// build, the SigmaHQ Kubernetes rules beside the built-in pack, as
// bench/run.sh does) on the same file and prints the page's throughput as
// a fraction of it: issue 9 asks each worker for at least half the CLI's
// one-thread rate; and the ceiling for any number of page workers: all
// cores busy with the page's CPU time, against the CLI's one thread. Run right after the page, so both meet the same
// machine load. --repeat N: N rounds (a fresh page each), one row each,
// and with --cli the median of the rounds' ratios: on a shared machine a
// single pair swings by a quarter.
//
// Without --file, the audit log of `spoor generate --scenario
// anonymous-to-admin --seed 7 --scale BYTES` (default 1 GiB of generated
// logs; its audit log is about 70 % of that) is generated once into
// bench/corpus-throughput/ (ignored by git). --file runs any file instead,
// e.g. a 5 GiB one made of that audit log repeated (docs/performance.md).
// A benchmark, not a test: `make test` does not run it.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/chromium.mjs';
import { corpus, root, servePage, run } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    scale: { type: 'string', default: String(1 << 30) },
    file: { type: 'string' },
    interval: { type: 'string', default: '500' },
    cli: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
  },
});
const interval = Number(opts.interval);
const MiB = 1 << 20;

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * User+sys ticks of every thread of every live descendant of this process
 * (Chromium's processes), keyed by pid/tid, with a group for each: the
 * workers' threads, the page's main thread, V8's background threads of the
 * page's process (compiling wasm, garbage collection), the rest of that
 * process, and the browser's other processes (file reads, IPC, the GPU).
 */
function chromiumThreads() {
  const procs = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(pid), ppid: Number(f[1]) });
    } catch {
      // Gone since the listing.
    }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) {
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
    }
  }
  mine.delete(process.pid);
  const threads = new Map();
  for (const pid of mine) {
    try {
      const renderer = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const group = !renderer ? 'browser'
          : name === 'DedicatedWorker' ? 'worker'
            : Number(tid) === pid ? 'page'
              : name.startsWith('ThreadPool') ? 'v8' : 'renderer';
        threads.set(`${pid}/${tid}`, { group, ticks: Number(f[11]) + Number(f[12]) });
      }
    } catch {
      // Gone since the listing.
    }
  }
  return threads;
}

/**
 * CPU seconds between two `chromiumThreads()` snapshots, by group; the
 * busiest worker thread is the analysis worker, the others (the tools
 * worker, hashing) are `otherWorkers`.
 */
function cpuByGroup(before, after) {
  const out = { analysis: 0, otherWorkers: 0, page: 0, v8: 0, renderer: 0, browser: 0, total: 0 };
  const workers = [];
  for (const [id, t] of after) {
    const s = (t.ticks - (before.get(id)?.ticks ?? 0)) / 100; // USER_HZ is 100 on Linux
    if (s <= 0) continue;
    out.total += s;
    if (t.group === 'worker') workers.push(s); else out[t.group] += s;
  }
  workers.sort((a, b) => b - a);
  out.analysis = workers[0] ?? 0;
  out.otherWorkers = workers.slice(1).reduce((a, b) => a + b, 0);
  return out;
}

/**
 * Runs in the page before its scripts: keeps the worker's latest reported
 * wasm memory size (from the messages the page receives, without parsing a
 * report twice) and the `spoor:analysis` measure.
 */
function instrument() {
  const bench = { workerWasm: 0, done: 0, analysisMs: null };
  window.__bench = bench;
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string') return;
        if (e.data.startsWith('{"type":"progress"')) {
          const m = JSON.parse(e.data);
          bench.workerWasm = m.wasm_memory;
          bench.done = m.done;
        } else if (e.data.startsWith('{"type":"done"')) {
          bench.workerWasm = parseInt(e.data.slice(e.data.lastIndexOf('"wasm_memory":') + 14), 10);
        }
      });
    }
  };
  new PerformanceObserver((list) => {
    for (const m of list.getEntries()) if (m.name === 'spoor:analysis') bench.analysisMs = m.duration;
  }).observe({ entryTypes: ['measure'] });
}

/**
 * One sample: bytes read so far, the worker's wasm memory, and the page's
 * and worker's JS heaps when the page can measure them.
 */
async function sample(page) {
  return page.evaluate(async () => {
    const out = { done: window.__bench.done, workerWasm: window.__bench.workerWasm, ua: null };
    if (performance.measureUserAgentSpecificMemory) {
      const r = await performance.measureUserAgentSpecificMemory();
      const by = (scope) => r.breakdown.filter((b) => b.attribution.some((a) => a.scope === scope)).reduce((n, b) => n + b.bytes, 0);
      out.ua = { bytes: r.bytes, window: by('Window'), worker: by('DedicatedWorkerGlobalScope') };
    }
    return out;
  });
}

/** User+sys seconds of this process's waited-for children (cutime + cstime). */
function childrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

function buildCli() {
  execFileSync('cargo', ['build', '--locked', '--release', '--bin', 'spoor'], { cwd: root, stdio: 'ignore' });
}

/** Wall and CPU seconds of `spoor scan FILE --threads 1` (release build, see `buildCli`). */
function cliSeconds(file) {
  const sigma = join(root, '..', 'shared', 'sigma', 'application', 'kubernetes');
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  execFileSync(join(root, 'target', 'release', 'spoor'), ['scan', file, '--rules', sigma, '--format', 'json', '--threads', '1'],
    { stdio: 'ignore' });
  return { wall: (performance.now() - t0) / 1000, cpu: childrenCpuSeconds() - cpu0 };
}

/** One drop of `file` on a fresh page: timings, events and memory peaks. */
async function measurePage(browser, origin, file, bytes) {
  const page = await browser.newPage();
  try {
    await page.addInitScript(instrument);
    await page.goto(origin + '/');
    const cdp = await page.context().newCDPSession(page);
    // Peaks over the samples; `total` is taken per sample.
    const peak = { workerWasm: 0, buffers: 0, js: 0, pageJs: 0, workerJs: 0, total: 0 };
    let t0 = performance.now();
    let lastNote = t0;
    const takeSample = async () => {
      const [h, m] = await Promise.all([cdp.send('Runtime.getHeapUsage'), sample(page)]);
      const now = {
        workerWasm: m.workerWasm,
        buffers: h.backingStorageSize ?? 0,
        js: m.ua?.bytes ?? h.usedSize,
        pageJs: m.ua?.window ?? h.usedSize,
        workerJs: m.ua?.worker ?? 0,
      };
      now.total = now.workerWasm + now.buffers + now.js;
      for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], now[k]);
      if (performance.now() - lastNote > 10_000) {
        lastNote = performance.now();
        process.stderr.write(`${((lastNote - t0) / 1000).toFixed(0)} s: ${(m.done / MiB).toFixed(0)} of ${(bytes / MiB).toFixed(0)} MiB read, `
          + `${(now.total / MiB).toFixed(0)} MiB in use (worker wasm ${(now.workerWasm / MiB).toFixed(0)})\n`);
      }
      return m.ua != null;
    };
    const measuresWorker = await takeSample();
    let sampling = true;
    let wake = () => {};
    const sampler = (async () => {
      while (sampling) {
        await new Promise((ok) => { wake = ok; setTimeout(ok, interval); });
        if (sampling) await takeSample();
      }
    })();

    const loadBefore = loadAverage();
    const threads0 = chromiumThreads();
    t0 = performance.now();
    await page.setInputFiles('input[data-testid=file-input]', file);
    await page.waitForSelector('[data-testid=analysis-done]', { timeout: 0 });
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuByGroup(threads0, chromiumThreads());
    const loadAfter = loadAverage();
    sampling = false;
    wake();
    await sampler;
    await takeSample(); // the size the worker reported with its report
    const events = Number(await page.textContent('[data-testid=events-count]'));
    const analysisMs = await page.evaluate(() => window.__bench.analysisMs);
    const analysis = analysisMs == null ? wall : analysisMs / 1000;
    return { wall, analysis, cpu, events, peak, loadBefore, loadAfter, measuresWorker };
  } finally {
    await page.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const file = opts.file ?? join(corpus('corpus-throughput', Number(opts.scale)), 'kube-apiserver', 'audit.log');
  const bytes = statSync(file).size;
  const rounds = Math.max(1, Number(opts.repeat));
  if (opts.cli) buildCli();
  const { server, origin } = await servePage({
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  });
  // Memory measurements answered at once instead of at the next garbage collection.
  const browser = await launchChromium(['--enable-blink-features=ForceEagerMeasureMemory']);
  const mib = (n) => (n / MiB).toFixed(0);
  const ratios = [];
  const ceilings = [];
  const breakdown = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const r = await measurePage(browser, origin, file, bytes);
      if (round === 1) {
        console.log(`File: ${file}, ${mib(bytes)} MiB, ${r.events.toLocaleString('en')} events; ${cpus().length} cores`);
        if (!r.measuresWorker) console.log('(no measureUserAgentSpecificMemory: JS heap is the page\'s alone)');
        console.log();
        console.log('| MiB | events | wall s | analysis s | CPU s | MiB/s (analysis) | MiB/s (CPU) | worker wasm MiB '
          + '| page buffers MiB | JS heaps MiB (page + worker) | total MiB | load avg before / after |'
          + (opts.cli ? ' CLI 1 thread s | page ÷ CLI |' : ''));
        console.log('|---|---|---|---|---|---|---|---|---|---|---|---|' + (opts.cli ? '---|---|' : ''));
      }
      let cliColumns = '';
      if (opts.cli) {
        // Right after the page, so both meet the same machine load.
        const cli = cliSeconds(file);
        ratios.push(cli.wall / r.analysis);
        // Were the page's CPU time spread over every core, however many
        // workers: the most the page could do against the CLI's one thread.
        ceilings.push((cpus().length * cli.wall) / r.cpu.total);
        cliColumns = ` ${cli.wall.toFixed(1)} | ${(cli.wall / r.analysis).toFixed(2)}× |`;
      }
      const { peak, cpu } = r;
      const s = (x) => x.toFixed(1);
      breakdown.push(`| ${round} | ${s(cpu.analysis)} | ${s(cpu.otherWorkers)} | ${s(cpu.page)} | ${s(cpu.v8)} | ${s(cpu.renderer)} `
        + `| ${s(cpu.browser)} | ${s(cpu.total)} | ${(cpu.analysis / r.analysis * 100).toFixed(0)} % |`);
      console.log(`| ${mib(bytes)} | ${r.events.toLocaleString('en')} | ${r.wall.toFixed(1)} | ${r.analysis.toFixed(1)} | ${cpu.total.toFixed(1)} `
        + `| ${(bytes / MiB / r.analysis).toFixed(1)} | ${(bytes / MiB / cpu.total).toFixed(1)} | ${mib(peak.workerWasm)} `
        + `| ${mib(peak.buffers)} | ${mib(peak.js)} (${mib(peak.pageJs)} + ${mib(peak.workerJs)}) | ${mib(peak.total)} `
        + `| ${r.loadBefore.split(' ')[0]} / ${r.loadAfter.split(' ')[0]} |${cliColumns}`);
    }
    console.log();
    console.log('CPU s by thread (the analysis worker busy: its CPU over the analysis time):');
    console.log();
    console.log('| round | analysis worker | tools worker | page | V8 background | page process, other | browser, GPU | total | analysis worker busy |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const row of breakdown) console.log(row);
    if (opts.cli) {
      console.log();
      console.log(`The page's analysis worker against \`spoor scan --threads 1\` on the same file (wall time, each round's pair): `
        + `median ${median(ratios).toFixed(2)}× over ${rounds} round${rounds > 1 ? 's' : ''} (issue 9: at least 0.5×)`);
      console.log(`Ceiling for any number of page workers: ${cpus().length} cores × CLI wall ÷ the page's CPU, `
        + `median ${median(ceilings).toFixed(2)}× the CLI (issue 9 asks two workers for 1×)`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

run(main);
