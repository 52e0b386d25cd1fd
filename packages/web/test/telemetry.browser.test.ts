/**
 * The device page's telemetry in a real Chromium against a real server: latest values and a
 * chart of readings posted over HTTP, then, through the live stream, a new reading and the
 * device coming online over MQTT appear without a reload, on the device page and the list.
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
import { connectDevice, freePort } from '../../server/test/broker-helpers.js';
import { startTestServer } from '../../server/test/helpers.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const WEB_DIR = fileURLToPath(new URL('../build', import.meta.url));
const SCREENSHOTS = process.env.FLOTILLA_SCREENSHOTS;

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Acme Shipping' };

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

/** The text of the latest value of a key on the device page. */
function latestValue(page: Page, key: string) {
  return page.locator(`[data-testid=telemetry-row][data-key="${key}"] [data-testid=telemetry-value]`);
}

test('the device page shows latest values and charts, and follows new readings and presence live', { timeout: 120_000 }, async (t) => {
  if (!existsSync(CHROMIUM_PATH)) {
    t.skip(`Chromium is not installed at ${CHROMIUM_PATH}; install it with apt-get install chromium to run the browser test`);
    return;
  }
  assert.ok(existsSync(`${WEB_DIR}/index.html`), `the dashboard is not built: run npm run build -w packages/web (looked in ${WEB_DIR})`);
  const mqttPort = await freePort();
  const server = await startTestServer({ overrides: { webDir: WEB_DIR, mqttHost: '127.0.0.1', mqttPort: String(mqttPort) } });
  t.after(() => server.close());
  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}/api/v1${path}`, init);

  // An admin, and a device with readings from the last few minutes, posted as the device.
  const session = await json<Session>(
    await api('/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: server.setupToken, ...ADMIN }),
    }),
  );
  const { device, secret } = await json<{ device: Device; secret: string }>(
    await api('/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ name: 'boiler-7', labels: { site: 'oslo' } }),
    }),
  );
  const deviceAuth = `Basic ${Buffer.from(`${device.id}:${secret}`).toString('base64')}`;
  const postTelemetry = async (body: unknown) =>
    json<{ accepted: number }>(await api('/device/telemetry', { method: 'POST', headers: { 'content-type': 'application/json', authorization: deviceAuth }, body: JSON.stringify(body) }));
  const now = Date.now();
  await postTelemetry(
    Array.from({ length: 12 }, (_, index) => ({
      ts: now - (12 - index) * 60_000,
      values: { temp: 20 + Math.sin(index / 2) * 2, pressure: 1000 + index, status: index % 2 ? 'heating' : 'idle' },
    })),
  );

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

  // Latest values, newest of each key.
  await page.goto(`${server.url}/devices/${device.id}`);
  await page.getByTestId('telemetry-latest').waitFor();
  const rowKeys = await page.locator('[data-testid=telemetry-row]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key')));
  assert.deepEqual(rowKeys, ['pressure', 'status', 'temp']);
  assert.equal((await latestValue(page, 'pressure').textContent())?.trim(), '1,011');
  assert.equal((await latestValue(page, 'status').textContent())?.trim(), 'heating');

  // Numeric keys are charted at first; a string cannot be.
  await page.locator('[data-testid=chart-card][data-key=temp] [data-testid=telemetry-chart] canvas').waitFor();
  await page.locator('[data-testid=chart-card][data-key=pressure] canvas').waitFor();
  assert.equal(await page.locator('[data-testid=telemetry-row][data-key=status] [data-testid=telemetry-key-toggle]').isDisabled(), true);
  assert.equal(await page.locator('[data-testid=chart-card]').count(), 2);
  await screenshot(page, 'telemetry-1h');

  // Unticking a key removes its chart.
  await page.locator('[data-testid=telemetry-row][data-key=pressure] [data-testid=telemetry-key-toggle]').uncheck();
  await page.locator('[data-testid=chart-card][data-key=pressure]').waitFor({ state: 'detached' });

  // A day is read as averages per bucket, computed by the server.
  await page.getByTestId('range-24h').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=telemetry-summary]')?.textContent?.includes('average per'));
  assert.equal(await page.getByTestId('telemetry-mode').inputValue(), 'avg');
  await page.locator('[data-testid=chart-card][data-key=temp] canvas').waitFor();
  await screenshot(page, 'telemetry-24h');

  // The CSV link downloads the shown range.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('telemetry-csv').click()]);
  assert.equal(download.suggestedFilename(), 'boiler-7-telemetry.csv');
  const csvPath = await download.path();
  const { readFileSync } = await import('node:fs');
  const csv = readFileSync(csvPath, 'utf8');
  assert.match(csv.split('\n')[0] ?? '', /^time,key,avg/);
  assert.match(csv, /,temp,/);

  // Back to raw points; then, live: a new reading shows up without a reload.
  await page.getByTestId('range-1h').click();
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  const pointsBefore = await page.evaluate(() => document.querySelectorAll('[data-testid=chart-card]').length);
  assert.equal(pointsBefore, 1);
  await postTelemetry({ temp: 31.25, pressure: 1020 });
  await page.waitForFunction(
    () => document.querySelector('[data-testid=telemetry-row][data-key=temp] [data-testid=telemetry-value]')?.textContent?.trim() === '31.25',
  );
  assert.equal((await latestValue(page, 'pressure').textContent())?.trim(), '1,020');

  // The device connecting over MQTT turns its badge online, then offline when it leaves.
  assert.equal((await page.getByTestId('presence').textContent())?.trim(), 'Offline');
  const client = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, { id: device.id, secret });
  t.after(() => client.endAsync().catch(() => {}));
  await page.getByTestId('presence').filter({ hasText: 'Online' }).waitFor();
  await screenshot(page, 'telemetry-live');

  // The device list follows presence too.
  await page.getByRole('link', { name: '← Devices' }).click();
  await page.waitForURL('**/devices');
  const row = page.locator('[data-testid=device-row]', { hasText: 'boiler-7' });
  await row.getByTestId('presence').filter({ hasText: 'Online' }).waitFor();
  await client.endAsync();
  await row.getByTestId('presence').filter({ hasText: 'Offline' }).waitFor();
  await screenshot(page, 'devices-list');

  // A device without telemetry says so, and its first reading arrives live with a chart.
  const quiet = await json<{ device: Device; secret: string }>(
    await api('/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
      body: JSON.stringify({ name: 'pump-2' }),
    }),
  );
  await page.goto(`${server.url}/devices/${quiet.device.id}`);
  await page.getByTestId('telemetry-empty').waitFor();
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  await screenshot(page, 'telemetry-empty');
  const quietAuth = `Basic ${Buffer.from(`${quiet.device.id}:${quiet.secret}`).toString('base64')}`;
  await json(await api('/device/telemetry', { method: 'POST', headers: { 'content-type': 'application/json', authorization: quietAuth }, body: JSON.stringify({ flow: 3.5 }) }));
  await latestValue(page, 'flow').filter({ hasText: '3.5' }).waitFor();
  await page.locator('[data-testid=chart-card][data-key=flow] canvas').waitFor();

  // A custom range is chosen with two times; a start after the end is refused.
  await page.getByTestId('range-custom').click();
  await page.getByTestId('custom-from').fill('2030-01-02T00:00');
  await page.getByTestId('custom-to').fill('2030-01-01T00:00');
  await page.getByTestId('custom-range').getByRole('button', { name: 'Show' }).click();
  await page.getByTestId('custom-range').getByRole('alert').waitFor();
  const hourAgo = new Date(Date.now() - 3_600_000);
  const local = (date: Date) => new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByTestId('custom-from').fill(local(hourAgo));
  await page.getByTestId('custom-to').fill(local(new Date(Date.now() + 60_000)));
  await page.getByTestId('custom-range').getByRole('button', { name: 'Show' }).click();
  await page.locator('[data-testid=chart-card][data-key=flow] canvas').waitFor();
  await screenshot(page, 'telemetry-custom');

  // On a phone the table and the charts stack.
  await page.setViewportSize({ width: 400, height: 900 });
  await page.locator('[data-testid=chart-card][data-key=flow] canvas').waitFor();
  await screenshot(page, 'telemetry-narrow');

  assert.deepEqual(pageErrors, [], 'the page threw no errors');
});
