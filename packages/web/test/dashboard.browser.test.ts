/**
 * The dashboard in a real Chromium against a real server: first-run setup, signing out and in,
 * adding a labelled device, finding it with a label selector, and opening it.
 *
 * Needs the built dashboard (`npm run build -w packages/web`) and Debian's Chromium at
 * /usr/bin/chromium (`apt-get install chromium`); without Chromium the test is skipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startTestServer } from '../../server/test/helpers.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const WEB_DIR = fileURLToPath(new URL('../build', import.meta.url));

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Acme Shipping' };

/** Starts a server serving the built dashboard and a browser page; both close after the test. */
async function openDashboard(t: TestContext): Promise<{ page: Page; baseUrl: string; setupToken: string; pageErrors: string[] }> {
  assert.ok(existsSync(`${WEB_DIR}/index.html`), `the dashboard is not built: run npm run build -w packages/web (looked in ${WEB_DIR})`);
  const { chromium } = await import('playwright-core');
  const server = await startTestServer({ overrides: { webDir: WEB_DIR } });
  t.after(() => server.close());
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { page, baseUrl: server.url, setupToken: server.setupToken, pageErrors };
}

async function rowNames(page: Page): Promise<string[]> {
  return page.locator('[data-testid=device-row] [data-testid=device-link]').allTextContents();
}

/** Waits until the device table shows exactly these names, in any order. */
async function waitForRows(page: Page, names: string[]): Promise<void> {
  const expected = [...names].sort();
  await page
    .waitForFunction((wanted) => {
      const shown = [...document.querySelectorAll('[data-testid=device-row] [data-testid=device-link]')].map((link) => link.textContent?.trim());
      return JSON.stringify(shown.sort()) === JSON.stringify(wanted);
    }, expected)
    .catch(async () => assert.deepEqual((await rowNames(page)).sort(), expected));
}

async function addDevice(page: Page, name: string, labelLines: string): Promise<void> {
  await page.getByTestId('add-device').click();
  await page.getByTestId('device-name').fill(name);
  await page.getByTestId('device-labels').fill(labelLines);
  await page.getByTestId('add-device-submit').click();
  const secret = await page.getByTestId('device-secret').inputValue();
  assert.ok(secret.length >= 16, `the new device's secret is shown once, got "${secret}"`);
  await page.getByTestId('device-created-done').click();
  await page.getByTestId('add-device-dialog').waitFor({ state: 'hidden' });
}

test('an admin sets up Flotilla, signs in again, adds a labelled device and finds it by selector', { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM_PATH)) {
    t.skip(`Chromium is not installed at ${CHROMIUM_PATH}; install it with apt-get install chromium to run the browser test`);
    return;
  }
  const { page, baseUrl, setupToken, pageErrors } = await openDashboard(t);

  // A fresh server sends the first visitor to setup.
  await page.goto(`${baseUrl}/`);
  await page.waitForURL('**/setup');
  await page.getByTestId('setup-token').fill(setupToken);
  await page.getByTestId('setup-tenant').fill(ADMIN.tenantName);
  await page.getByTestId('setup-email').fill(ADMIN.email);
  await page.getByTestId('setup-name').fill('Ada Admin');
  await page.getByTestId('setup-password').fill(ADMIN.password);
  await page.getByTestId('setup-password-again').fill(ADMIN.password);
  await page.getByTestId('setup-submit').click();

  // Setup signs the admin in.
  await page.waitForURL('**/devices');
  assert.equal(await page.getByTestId('current-user-email').textContent(), ADMIN.email);
  assert.equal(await page.getByTestId('current-user-role').textContent(), 'admin');
  await page.getByTestId('devices-empty').waitFor();

  // Signing out forgets the session: the dashboard asks to sign in again.
  await page.getByTestId('logout').click();
  await page.waitForURL('**/login');
  await page.goto(`${baseUrl}/devices`);
  await page.waitForURL(/\/login\?next=%2Fdevices$/);

  await page.getByTestId('login-email').fill(ADMIN.email);
  await page.getByTestId('login-password').fill('not the password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  assert.match((await page.getByTestId('login-error').textContent()) ?? '', /INVALID_CREDENTIALS/);

  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/devices');
  assert.equal(await page.getByTestId('current-user-email').textContent(), ADMIN.email);

  // Two devices in different places.
  await addDevice(page, 'gateway-oslo-1', 'site=oslo\nrole=gateway');
  await addDevice(page, 'sensor-bergen-1', 'site=bergen');
  await waitForRows(page, ['gateway-oslo-1', 'sensor-bergen-1']);
  const osloRow = page.locator('[data-testid=device-row]', { hasText: 'gateway-oslo-1' });
  assert.deepEqual((await osloRow.getByTestId('label-chip').allTextContents()).map((text) => text.trim()), ['role=gateway', 'site=oslo']);
  assert.equal((await osloRow.getByTestId('presence').textContent())?.trim(), 'Offline');

  // A label selector narrows the list, and lives in the URL.
  await page.getByTestId('device-selector').fill('site=oslo');
  await page.getByTestId('device-selector').press('Enter');
  await page.waitForURL(/selector=site%3Doslo/);
  await waitForRows(page, ['gateway-oslo-1']);

  await page.getByTestId('device-selector').fill('site!=oslo');
  await page.getByTestId('device-selector').press('Enter');
  await waitForRows(page, ['sensor-bergen-1']);

  // A selector the server cannot parse shows its explanation beside the filter.
  await page.getByTestId('device-selector').fill('site in (oslo');
  await page.getByTestId('device-selector').press('Enter');
  await page.getByTestId('selector-error').waitFor();
  assert.ok(((await page.getByTestId('selector-error').textContent()) ?? '').trim().length > 0);

  await page.getByTestId('device-selector').fill('role=gateway');
  await page.getByTestId('device-selector').press('Enter');
  await waitForRows(page, ['gateway-oslo-1']);

  // The device's own page.
  await page.getByTestId('device-link').click();
  await page.waitForURL(/\/devices\/[^/?]+$/);
  assert.equal(await page.getByTestId('device-name').textContent(), 'gateway-oslo-1');
  const deviceId = page.url().split('/').pop();
  assert.equal(await page.getByTestId('device-id').textContent(), deviceId);
  const detailChips = await page.getByTestId('device-labels').getByTestId('label-chip').allTextContents();
  assert.deepEqual(detailChips.map((text) => text.trim().replace(/✕$/, '').trim()), ['role=gateway', 'site=oslo']);

  assert.deepEqual(pageErrors, [], 'the page threw no errors');
});
