// What every browser test needs: a real `musearch serve` on the fixture index and a real
// headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
//
// The server comes from scripts/serve-fixture.sh, which indexes fixtures/audio with the real
// indexer, starts `musearch serve` and prints its URL; it is stopped (its whole process group)
// when the tests end. MUSEARCH_URL=http://host:port uses a server that is already running
// instead (any index: the tests compare the page with what the API says, never with fixed values).
// MUSEARCH_SCREENSHOTS=DIR saves the screenshots the README shows (docs/screenshots/).

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repoRoot = resolve(here, '..', '..');

/** Chromium from Debian's `chromium` package (scripts/install-system-deps.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** How long the fixture server may take to index and start (a cold build is not included). */
const START_TIMEOUT_MS = Number(process.env.MUSEARCH_START_TIMEOUT_MS || 300_000);

/**
 * Start (or reuse, with MUSEARCH_URL) the server. Resolves to { url, stop }.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function startServer() {
  if (process.env.MUSEARCH_URL) {
    return { url: process.env.MUSEARCH_URL.replace(/\/$/, ''), stop: async () => {} };
  }
  const script = join(repoRoot, 'scripts', 'serve-fixture.sh');
  const child = spawn(script, [], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-fixture.sh printed no URL in ${START_TIMEOUT_MS} ms:\n${log}`)), START_TIMEOUT_MS);
    const onData = (chunk) => {
      log += chunk;
      const match = /(https?:\/\/[^\s"']+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      log += chunk;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve-fixture.sh exited (${code ?? signal}) before printing a URL:\n${log}`));
    });
  });
  await waitForHealth(url);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { url, stop };
}

async function waitForHealth(url) {
  const deadline = Date.now() + 60_000;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/v1/health`);
      if (response.ok) return;
      last = new Error(`health answered ${response.status}`);
    } catch (err) {
      last = err;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`the server at ${url} never became healthy: ${last}`);
}

/** Launch headless Chromium. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sound card in CI: play into a fake output; autoplay after the click is allowed anyway.
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio'],
  });
}

/** GET a JSON document from the API (what the page is compared with). */
export async function api(url, path) {
  const response = await fetch(`${url}/api/v1${path}`);
  const body = await response.json();
  return { status: response.status, body };
}

/** Save a screenshot when MUSEARCH_SCREENSHOTS names a folder. */
export async function screenshot(page, name) {
  const folder = process.env.MUSEARCH_SCREENSHOTS;
  if (!folder) return;
  const dir = resolve(repoRoot, folder);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/**
 * Fail the test on any uncaught page error or console error, except the ones `allowed` names
 * (a test that provokes an API error expects the browser to log the failed request).
 */
export function watchConsole(page, allowed = []) {
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (allowed.some((pattern) => pattern.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  return problems;
}
