// The status page in a real headless Chromium: escaping, the CSP hash of its
// stylesheet, phone width, light and dark.
//
// Run with scripts/browser-test.sh, or `node --test tests/browser/` after `npm ci` in
// tests/browser. The page is served by the `status_page` example: its binary is taken
// from STATUS_PAGE_BIN, or built and started with `cargo run`. Screenshots go to
// /tmp/status-*.png for a person to look at.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PHONE = { width: 375, height: 800 };
const DESKTOP = { width: 1100, height: 700 };
const CHECK_NAMES = ['DatabaseBackend', 'DiskUsage', 'CacheBackend', '<b>Tricky</b>', 'Queue', 'Replica'];

/** Starts the example server; resolves with the child process and the page's URL. */
function startServer() {
  const bin = process.env.STATUS_PAGE_BIN;
  const [command, args, timeoutMs] = bin
    ? [bin, ['0'], 30_000]
    : [
        'cargo',
        ['run', '--quiet', '-p', 'healthz', '--features', 'axum', '--example', 'status_page', '--', '0'],
        15 * 60_000,
      ];
  // A process group of its own, so that `cargo run` and the server it started stop together.
  const child = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} printed no address in ${timeoutMs} ms`)), timeoutMs);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    });
    child.on('error', (error) => reject(new Error(`cannot start ${command}: ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code} before listening`)));
  });
}

/** `rgb(r, g, b)` to its relative luminance, 0 (black) to 1 (white). */
function luminance(color) {
  const [r, g, b] = color.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

describe('the status page in Chromium', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    if (server) process.kill(-server.child.pid, 'SIGTERM');
  });

  /** Opens the page; records console messages, dialogs and CSP violations. */
  async function open({ viewport = DESKTOP, colorScheme = 'light' } = {}) {
    const context = await browser.newContext({ viewport, colorScheme });
    const page = await context.newPage();
    const seen = { console: [], dialogs: [] };
    page.on('console', (message) => seen.console.push(message.text()));
    page.on('dialog', async (dialog) => {
      seen.dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    // Injected through the DevTools protocol, so the page's CSP does not block it.
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const response = await page.goto(server.url);
    return { context, page, response, seen };
  }

  test('has the title and one row per check, in order', async () => {
    const { context, page } = await open();
    assert.equal(await page.title(), 'System status');
    assert.equal(await page.locator('h1').textContent(), 'System status');
    const names = await page.locator('tbody tr td.name .label').allTextContents();
    assert.deepEqual(names, CHECK_NAMES);
    await context.close();
  });

  test('shows names and messages as text, never as markup', async () => {
    const { context, page, seen } = await open();
    assert.equal(await page.locator('b').count(), 0, 'a <b> element was created');
    assert.equal(await page.locator('body script').count(), 0, 'a <script> element was created');
    const text = await page.locator('tbody').textContent();
    assert.match(text, /<b>Tricky<\/b>/);
    assert.match(text, /<script>alert\(1\)<\/script> & "quotes"/);
    await page.waitForTimeout(200);
    assert.deepEqual(seen.dialogs, [], 'a dialog fired');
    await context.close();
  });

  test('marks only the working checks with status_1, in words as well as colour', async () => {
    const { context, page } = await open();
    const workingNames = await page.locator('tr:has(td.status_1) td.name .label').allTextContents();
    assert.deepEqual(workingNames, ['DatabaseBackend', 'Queue', 'Replica']);
    assert.equal(await page.locator('td.status_0').count(), 3);
    const badges = await page.locator('tbody td.state').allTextContents();
    assert.deepEqual(badges, ['OK', 'Warning', 'Failing', 'Failing', 'OK', 'OK']);
    assert.equal(await page.locator('.overall .badge').textContent(), 'Unhealthy');
    await context.close();
  });

  test('tells critical checks apart, with tags, mode, age, damping and observed values', async () => {
    const { context, page } = await open();
    const row = (name) => page.locator('tbody tr', { has: page.locator('td.name .label', { hasText: name }) });
    const chips = async (name) => row(name).locator('.meta .chip').allTextContents();
    assert.deepEqual(await chips('DatabaseBackend'), ['critical', 'ready', 'db', 'on request']);
    assert.deepEqual(await chips('Replica'), ['not critical', 'every 2s']);
    assert.deepEqual(await chips('Queue'), ['critical', 'cached 1h']);
    assert.match(await row('Queue').locator('td.text').textContent(), /^working \(1 of 3 failures\)$/);
    assert.match(await row('DatabaseBackend').locator('.observed').textContent(), /connections 42 open/);
    assert.match(await row('DatabaseBackend').locator('td.age').textContent(), /just now|\d+ s ago/);
    assert.match(await row('CacheBackend').locator('td.age').textContent(), /last worked/);
    assert.match(await row('DatabaseBackend').locator('td.history small').textContent(), /^uptime 100% of \d+ runs$/);
    const reason = await page.locator('.reason').textContent();
    assert.match(reason, /^Unhealthy because of CacheBackend \(failing\)\.$/);
    await context.close();
  });

  test('refreshes itself until paused, without a script', async () => {
    const { context, page } = await open();
    assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '10');
    await page.getByRole('link', { name: 'pause' }).click();
    await page.waitForURL(/refresh=off/);
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
    assert.match(await page.locator('footer').textContent(), /Auto-refresh paused/);
    await page.getByRole('link', { name: 'resume' }).click();
    await page.waitForURL((url) => !url.search.includes('refresh=off'));
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 1);
    await context.close();
  });

  test('applies its stylesheet under its strict CSP', async () => {
    const { context, page, response, seen } = await open();
    const csp = response.headers()['content-security-policy'];
    assert.match(csp ?? '', /style-src 'sha256-[A-Za-z0-9+/]+=*'/, 'the CSP names the stylesheet by hash');
    const styled = await page.evaluate(() => ({
      bodyMargin: getComputedStyle(document.body).margin,
      tableBorder: getComputedStyle(document.querySelector('table')).borderTopStyle,
      badgeRadius: getComputedStyle(document.querySelector('.badge')).borderTopLeftRadius,
    }));
    assert.deepEqual(styled, { bodyMargin: '0px', tableBorder: 'solid', badgeRadius: '999px' });
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    const cspMessages = seen.console.filter((text) => /Content Security Policy/i.test(text));
    assert.deepEqual(cspMessages, []);
    await context.close();
  });

  test('draws a sparkline with a text alternative on every row', async () => {
    const { context, page } = await open();
    const sparklines = page.locator('tbody tr td.history svg');
    assert.equal(await sparklines.count(), CHECK_NAMES.length);
    for (const title of await page.locator('tbody tr td.history svg title').allTextContents()) {
      assert.match(title, /^(Last \d+ runs|Last run): /);
    }
    const box = await sparklines.first().boundingBox();
    assert.equal(Math.round(box.width), 120);
    assert.ok((await page.locator('td.history rect.fail').count()) > 0, 'failed runs are marked');
    await context.close();
  });

  test('never scrolls sideways, from a small phone to a laptop', async () => {
    for (const width of [320, 375, 600, 768, 800, 1024]) {
      const { context, page } = await open({ viewport: { width, height: 800 } });
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= width, `at ${width}px the page is ${scrollWidth}px wide`);
      await context.close();
    }
  });

  test('fits a phone screen in light and dark', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const { context, page } = await open({ viewport: PHONE, colorScheme });
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scrollWidth <= PHONE.width, `${colorScheme}: the page is ${scrollWidth}px wide`);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      if (colorScheme === 'dark') {
        assert.ok(luminance(background) < 0.2, `dark background ${background}`);
      } else {
        assert.ok(luminance(background) > 0.8, `light background ${background}`);
      }
      await page.screenshot({ path: `/tmp/status-${colorScheme}.png`, fullPage: true });
      await context.close();
    }
  });

  test('reads as a table on a wide screen', async () => {
    const { context, page } = await open();
    assert.ok(await page.locator('thead').isVisible());
    await page.screenshot({ path: '/tmp/status-desktop.png', fullPage: true });
    await context.close();
  });
});
