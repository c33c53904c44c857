// Debian's Chromium through playwright-core (which never downloads a
// browser), headless and quiet: no network, update or first-run work of its
// own. Shared by the end-to-end tests and the browser benchmarks; CHROMIUM
// overrides the binary.
import { chromium } from 'playwright-core';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches Chromium with the shared flags plus `extra`. */
export function launchChromium(extra = []) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: [...FLAGS, ...extra] });
}
