/**
 * The device page's Inventory section in a real Chromium against a real server: the empty state,
 * an inventory a device reports over HTTP (agent version, board, facts, disks, interfaces), and a
 * later report arriving live without a reload.
 *
 * Needs the built dashboard (`npm run build -w packages/web`) and Debian's Chromium at
 * /usr/bin/chromium; without Chromium the test is skipped. With FLOTILLA_SCREENSHOTS=<dir> it
 * saves screenshots there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Device, Session } from '@flotilla/protocol';
import type { Browser, Page } from 'playwright-core';
import { startTestServer } from '../../server/test/helpers.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const WEB_DIR = fileURLToPath(new URL('../build', import.meta.url));
const SCREENSHOTS = process.env.FLOTILLA_SCREENSHOTS;

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Acme Shipping' };

const inventory = {
  hostname: 'pi-oslo-1',
  os: { platform: 'linux', name: 'Debian GNU/Linux', version: '12 (bookworm)', kernel: '6.1.0-rpi7' },
  arch: 'arm64',
  cpu: { model: 'Cortex-A72', cores: 4 },
  memoryBytes: 4 * 1024 ** 3,
  disks: [{ mount: '/', device: '/dev/mmcblk0p2', fsType: 'ext4', totalBytes: 29 * 1024 ** 3 }],
  network: [{ name: 'eth0', mac: 'dc:a6:32:00:00:01', addresses: ['192.168.1.20/24'] }],
  board: { model: 'Raspberry Pi 4 Model B Rev 1.4', serial: '10000000abcdef' },
  agent: { version: '1.2.3', node: 'v20.11.0' },
};

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  assert.ok(response.ok, `${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

test('the device page shows the inventory a device reported over HTTP, and a newer one live', { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM_PATH)) {
    t.skip(`Chromium is not installed at ${CHROMIUM_PATH}; install it with apt-get install chromium to run the browser test`);
    return;
  }
  assert.ok(existsSync(`${WEB_DIR}/index.html`), `the dashboard is not built: run npm run build -w packages/web (looked in ${WEB_DIR})`);
  const server = await startTestServer({ overrides: { webDir: WEB_DIR } });
  t.after(() => server.close());
  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}/api/v1${path}`, init);

  const session = await json<Session>(
    await api('/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: server.setupToken, ...ADMIN }) }),
  );
  const adminAuth = { authorization: `Bearer ${session.accessToken}` };
  const { device, secret } = await json<{ device: Device; secret: string }>(
    await api('/devices', { method: 'POST', headers: { 'content-type': 'application/json', ...adminAuth }, body: JSON.stringify({ name: 'gateway-1' }) }),
  );
  const deviceAuth = `Basic ${Buffer.from(`${device.id}:${secret}`).toString('base64')}`;
  const report = async (patch: unknown) =>
    json<{ version: number }>(await api('/device/state', { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', authorization: deviceAuth }, body: JSON.stringify(patch) }));

  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-email').fill(ADMIN.email);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/devices');

  // Before any report: the empty state says where an inventory comes from.
  await page.goto(`${server.url}/devices/${device.id}`);
  const empty = page.getByTestId('inventory-empty');
  await empty.waitFor();
  assert.match((await empty.textContent()) ?? '', /reported by the Flotilla agent; devices without it can PATCH \/device\/state with an\s+inventory section/);
  await screenshot(page, 'inventory-empty');

  // A report over HTTP shows after a reload: headline, facts and both tables.
  await report({ inventory });
  await page.reload();
  await page.getByTestId('inventory-agent-version').filter({ hasText: '1.2.3' }).waitFor();
  assert.equal(await page.getByTestId('inventory-board').textContent(), 'Raspberry Pi 4 Model B Rev 1.4');
  const facts = (await page.getByTestId('inventory-facts').textContent()) ?? '';
  for (const expected of ['pi-oslo-1', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-rpi7', 'arm64', 'Cortex-A72 × 4 cores', '4.0 GiB']) assert.ok(facts.includes(expected), `the facts show ${expected}: ${facts}`);
  const disks = (await page.getByTestId('inventory-disks').textContent()) ?? '';
  assert.match(disks, /\/dev\/mmcblk0p2/);
  assert.match(disks, /29\.0 GiB/);
  assert.match((await page.getByTestId('inventory-network').textContent()) ?? '', /192\.168\.1\.20\/24/);
  await screenshot(page, 'inventory');

  // A later patch (a new agent version) arrives live, without a reload.
  await report({ inventory: { agent: { version: '1.3.0' } } });
  await page.getByTestId('inventory-agent-version').filter({ hasText: '1.3.0' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('inventory-board').textContent(), 'Raspberry Pi 4 Model B Rev 1.4');
  assert.deepEqual(pageErrors, []);
});
