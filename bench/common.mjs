// What the browser benchmarks share: the repository root, a seeded corpus
// generated once with the release CLI, and the release page served from
// dist/ on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../scripts/serve.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `spoor generate --scenario anonymous-to-admin --seed 7 --scale SCALE` into
 * bench/NAME/ (ignored by git), built and generated only when that folder
 * does not hold this scale yet; resolves to the folder.
 */
export function corpus(name, scale) {
  const dir = join(root, 'bench', name);
  const stamp = join(dir, `.scale-${scale}`);
  if (!existsSync(stamp)) {
    const spoor = join(root, 'target', 'release', 'spoor');
    if (!existsSync(spoor)) execFileSync('cargo', ['build', '--locked', '--release', '--bin', 'spoor'], { cwd: root, stdio: 'inherit' });
    execFileSync('rm', ['-rf', dir]);
    execFileSync(spoor, ['generate', '--scenario', 'anonymous-to-admin', '--seed', '7', '--scale', String(scale), '--out', dir], { stdio: 'inherit' });
    writeFileSync(stamp, '');
  }
  return dir;
}

/** Every file under `dir`, skipping dot files (the scale stamp). */
export function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p)); else out.push(p);
  }
  return out;
}

/** Serves dist/ (`make dist`) with `headers`; resolves to the server and its origin. */
export async function servePage(headers = {}) {
  if (!existsSync(join(root, 'dist', 'index.html'))) throw new Error('no dist/index.html: run make dist first');
  const server = await serve(join(root, 'dist'), { base: '/', headers });
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Runs a benchmark's `main`; a failure is printed and exits with status 1. */
export function run(main) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
