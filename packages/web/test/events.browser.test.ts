/**
 * The device page's Events section in a real Chromium against a real server: events a device
 * posted over HTTP with their levels, a refused telemetry payload as the server's event, a new
 * event arriving live without a reload, the kind and level filters, and older pages by cursor.
 *
 * Needs the built dashboard (`npm run build -w packages/web`) and Debian's Chromium at
 * /usr/bin/chromium; without Chromium the test is skipped. With FLOTILLA_SCREENSHOTS=<dir> it
 * saves screenshots there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Device, EventPage, Session } from '@flotilla/protocol';
import type { Browser, Page } from 'playwright-core';
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

/** The kinds of the listed events, top to bottom. */
function listedKinds(page: Page): Promise<(string | null)[]> {
  return page.locator('[data-testid=event]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind')));
}

/** Waits until the listed kinds satisfy `accept`; answers them. */
async function waitForKinds(page: Page, accept: (kinds: (string | null)[]) => boolean, what: string): Promise<(string | null)[]> {
  const deadline = Date.now() + 15_000;
  let kinds = await listedKinds(page);
  while (!accept(kinds)) {
    assert.ok(Date.now() < deadline, `${what}; the list shows ${JSON.stringify(kinds)}`);
    await sleep(100);
    kinds = await listedKinds(page);
  }
  return kinds;
}

test('the device page lists its events with levels, follows new ones live, filters them and pages back', { timeout: 120_000 }, async (t) => {
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
  const createDevice = async (name: string) =>
    json<{ device: Device; secret: string }>(await api('/devices', { method: 'POST', headers: { 'content-type': 'application/json', ...adminAuth }, body: JSON.stringify({ name }) }));
  const { device, secret } = await createDevice('boiler-7');
  const quiet = await createDevice('pump-2');
  const deviceAuth = `Basic ${Buffer.from(`${device.id}:${secret}`).toString('base64')}`;
  const postAsDevice = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: deviceAuth }, body: JSON.stringify(body) });

  // The device's own events: 28 log lines (more than a page), a start and a crash with data.
  const start = Date.now() - 10 * 60_000;
  const logLines = Array.from({ length: 28 }, (_, index) => ({ kind: 'log.line', level: 'debug', message: `line ${index}`, ts: start + index * 1000 }));
  const accepted = await json<{ accepted: number }>(
    await postAsDevice('/device/events', [
      ...logLines,
      { kind: 'app.started', message: 'version 1.4.2', ts: start + 60_000 },
      { kind: 'app.crashed', level: 'error', message: 'segfault in worker', data: { exitCode: 139 }, ts: start + 120_000 },
    ]),
  );
  assert.equal(accepted.accepted, 30);

  // A refused telemetry payload: the server stores a notice about it (after answering the device).
  const refused = await postAsDevice('/device/telemetry', { temp: 'x'.repeat(5000) });
  assert.equal(refused.status, 400);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const page = await json<EventPage>(await api(`/devices/${device.id}/events?kind=telemetry.rejected`, { headers: adminAuth }));
    if (page.items.length > 0) break;
    assert.ok(Date.now() < deadline, 'the refused telemetry payload was stored as an event');
    await sleep(100);
  }

  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  let liveSockets = 0;
  page.on('websocket', (socket) => {
    if (socket.url().includes('/api/v1/live')) liveSockets++;
  });

  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-email').fill(ADMIN.email);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/devices');

  // A device without events says what events are.
  await page.goto(`${server.url}/devices/${quiet.device.id}`);
  await page.getByTestId('events-empty').filter({ hasText: 'No events yet' }).waitFor();
  assert.match((await page.getByTestId('events-empty').textContent()) ?? '', /POST \/api\/v1\/device\/events/);

  // Newest first: the server's notice, the crash, the start, then the log lines, a page of 25.
  liveSockets = 0;
  await page.goto(`${server.url}/devices/${device.id}`);
  const events = page.getByTestId('events');
  await events.locator('[data-testid=event]').first().waitFor();
  const kinds = await listedKinds(page);
  assert.equal(kinds.length, 25);
  assert.deepEqual(kinds.slice(0, 4), ['telemetry.rejected', 'app.crashed', 'app.started', 'log.line']);
  const rejected = events.locator('[data-testid=event][data-kind="telemetry.rejected"]');
  assert.equal((await rejected.getByTestId('event-level').textContent())?.trim(), 'warn');
  assert.equal((await rejected.getByTestId('event-source').textContent())?.trim(), 'server');
  assert.ok(((await rejected.getByTestId('event-message').textContent()) ?? '').trim().length > 0, 'the notice says why the payload was refused');
  const crashed = events.locator('[data-testid=event][data-kind="app.crashed"]');
  assert.equal((await crashed.getByTestId('event-level').textContent())?.trim(), 'error');
  assert.equal((await crashed.getByTestId('event-source').textContent())?.trim(), 'device');
  assert.equal((await crashed.getByTestId('event-message').textContent())?.trim(), 'segfault in worker');
  assert.equal((await events.locator('[data-testid=event][data-kind="app.started"]').getByTestId('event-level').textContent())?.trim(), 'info');
  assert.equal((await events.locator('[data-testid=event][data-kind="log.line"]').first().getByTestId('event-level').textContent())?.trim(), 'debug');
  // Data opens on demand.
  assert.equal(await crashed.getByTestId('event-data').isVisible(), false);
  await crashed.locator('summary').click();
  assert.deepEqual(JSON.parse((await crashed.getByTestId('event-data').textContent()) ?? ''), { exitCode: 139 });
  await screenshot(page, 'events');

  // Older events come by cursor, after the ones shown, without repeats.
  await events.getByTestId('load-more').filter({ hasText: 'Load older' }).click();
  const all = await waitForKinds(page, (listed) => listed.length === 31, 'all 31 events are listed after Load older');
  const messages = await events.locator('[data-testid=event][data-kind="log.line"] [data-testid=event-message]').allTextContents();
  assert.deepEqual(messages, logLines.map((line) => line.message).reverse());
  assert.equal(all.at(-1), 'log.line');
  assert.equal(await events.getByTestId('load-more').count(), 0, 'nothing older is left');

  // A new event arrives live at the top, without a reload, on the page's one live connection.
  await json(await postAsDevice('/device/events', { kind: 'app.restarted', level: 'warn', message: 'watchdog restart' }));
  await waitForKinds(page, (listed) => listed[0] === 'app.restarted', 'the new event arrives at the top');
  const restarted = events.locator('[data-testid=event][data-kind="app.restarted"]');
  assert.equal((await restarted.getByTestId('event-level').textContent())?.trim(), 'warn');
  assert.equal((await restarted.getByTestId('event-message').textContent())?.trim(), 'watchdog restart');
  assert.equal(liveSockets, 1, 'the sections share one live connection');

  // Kind by prefix.
  await events.getByTestId('event-filter-kind').fill('app.*');
  await events.getByRole('button', { name: 'Apply' }).click();
  await waitForKinds(page, (listed) => listed.join() === 'app.restarted,app.crashed,app.started', 'only app.* events are listed');

  // And the lowest level: warn and above.
  await events.getByTestId('event-filter-level').selectOption('warn');
  await waitForKinds(page, (listed) => listed.join() === 'app.restarted,app.crashed', 'only app.* events at warn and above are listed');

  // Live events are filtered as well: a debug line and another kind stay out, an app error comes in.
  await json(
    await postAsDevice('/device/events', [
      { kind: 'app.heartbeat', level: 'debug' },
      { kind: 'net.down', level: 'error' },
    ]),
  );
  await json(await postAsDevice('/device/events', { kind: 'app.oom', level: 'error', message: 'out of memory' }));
  await waitForKinds(page, (listed) => listed.join() === 'app.oom,app.restarted,app.crashed', 'the app error arrives live, the other two do not');
  await screenshot(page, 'events-filtered');

  // Nothing matches: the list says so.
  await events.getByTestId('event-filter-kind').fill('door.*');
  await events.getByRole('button', { name: 'Apply' }).click();
  await events.getByTestId('events-empty').filter({ hasText: 'No events match' }).waitFor();

  // A kind the server would refuse is pointed out before asking it.
  await events.getByTestId('event-filter-kind').fill('App.*');
  await events.getByTestId('event-filter-kind-error').filter({ hasText: 'lower-case' }).waitFor();
  assert.equal(await events.getByRole('button', { name: 'Apply' }).isDisabled(), true);
  await events.getByTestId('event-filter-kind').fill('app.*.x');
  await events.getByTestId('event-filter-kind-error').filter({ hasText: 'may only end' }).waitFor();

  // Clearing shows everything again, the server's notice included.
  await events.getByTestId('event-filter-kind').fill('');
  await events.getByRole('button', { name: 'Clear' }).click();
  await waitForKinds(page, (listed) => listed.length === 25 && listed.includes('telemetry.rejected') && listed.includes('net.down'), 'every event is listed again');

  assert.deepEqual(pageErrors, [], 'the page threw no errors');
});
