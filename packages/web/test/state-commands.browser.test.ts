/**
 * Desired state, profiles and commands in a real Chromium against a real server: an operator
 * edits a device's layer (a mistake is pointed out as it is typed, a secret is kept when saved
 * back redacted), sees the effective state and a new revision, compares two revisions and
 * reverts; creates a profile after previewing what it changes on each device; sees drift clear
 * live when the device reports; sends a ping that the device answers over the HTTP device
 * routes and watches it reach `succeeded`. A viewer sees the same without any button.
 *
 * Needs the built dashboard (`npm run build -w packages/web`) and Debian's Chromium at
 * /usr/bin/chromium; without Chromium the test is skipped. With FLOTILLA_SCREENSHOTS=<dir> it
 * saves screenshots there.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CommandMessage, Device, Session } from '@flotilla/protocol';
import type { Browser, Page } from 'playwright-core';
import { startTestServer } from '../../server/test/helpers.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const WEB_DIR = fileURLToPath(new URL('../build', import.meta.url));
const SCREENSHOTS = process.env.FLOTILLA_SCREENSHOTS;

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery', tenantName: 'Acme Shipping' };
const VIEWER = { email: 'viewer@example.com', password: 'correct horse viewer', role: 'viewer' };

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

async function signIn(page: Page, baseUrl: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-email').fill(who.email);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/devices');
}

/** The value and layer of one path of the effective document, as the device page shows them. */
async function effective(page: Page, path: string): Promise<[string, string]> {
  const row = page.locator(`[data-testid=effective-row][data-path="${path}"]`);
  await row.waitFor();
  return [((await row.getByTestId('effective-value').textContent()) ?? '').trim(), ((await row.getByTestId('effective-source').textContent()) ?? '').trim()];
}

test('state, profiles and commands on the dashboard: edit, diff, revert, preview, send and follow', { timeout: 180_000 }, async (t) => {
  if (!existsSync(CHROMIUM_PATH)) {
    t.skip(`Chromium is not installed at ${CHROMIUM_PATH}; install it with apt-get install chromium to run the browser test`);
    return;
  }
  assert.ok(existsSync(`${WEB_DIR}/index.html`), `the dashboard is not built: run npm run build -w packages/web (looked in ${WEB_DIR})`);
  const server = await startTestServer({ overrides: { webDir: WEB_DIR, mqttPort: '0' } });
  t.after(() => server.close());
  const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}/api/v1${path}`, init);

  const session = await json<Session>(
    await api('/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: server.setupToken, ...ADMIN }) }),
  );
  const asAdmin = { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` };
  const addDevice = async (name: string) =>
    json<{ device: Device; secret: string }>(await api('/devices', { method: 'POST', headers: asAdmin, body: JSON.stringify({ name, labels: { site: 'oslo' } }) }));
  const { device, secret } = await addDevice('boiler-7');
  await addDevice('pump-2');
  await json(await api('/users', { method: 'POST', headers: asAdmin, body: JSON.stringify(VIEWER) }));
  const asDevice = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${device.id}:${secret}`).toString('base64')}` };

  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await signIn(page, server.url, ADMIN);

  // Nothing declared yet; a mistake in the editor is pointed out as it is typed.
  await page.goto(`${server.url}/devices/${device.id}`);
  await page.getByTestId('effective-empty').waitFor();
  const editor = page.getByTestId('layer-text');
  await editor.fill('{\n  "settings": {\n    "interval": \n  }\n}');
  assert.match((await page.getByTestId('layer-text-problem').textContent()) ?? '', /line 4, column 3/);
  assert.equal(await page.getByTestId('layer-save').isDisabled(), true);

  // Saving makes revision 1; the effective state shows each value with its layer, the secret hidden.
  await editor.fill(JSON.stringify({ settings: { interval: 60 }, wifi: { password: { $secret: 'hunter2' } } }, null, 2));
  await page.getByTestId('layer-message').fill('Faster readings');
  await page.getByTestId('layer-save').click();
  await page.locator('[data-testid=revision-row][data-revision="1"]').waitFor();
  assert.deepEqual(await effective(page, '/settings/interval'), ['60', 'device']);
  assert.deepEqual(await effective(page, '/wifi/password'), ['•••• secret', 'device']);
  assert.match(await editor.inputValue(), /"\$secret": true/);
  assert.match((await page.locator('[data-testid=revision-row][data-revision="1"]').textContent()) ?? '', /Faster readings.*admin@example\.com/);

  // Saved back with the secret redacted, the stored secret is kept (the device still gets it).
  await editor.fill((await editor.inputValue()).replace('60', '90'));
  await page.getByTestId('layer-save').click();
  await page.locator('[data-testid=revision-row][data-revision="2"]').waitFor();
  assert.deepEqual(await effective(page, '/settings/interval'), ['90', 'device']);
  const delivered = await json<{ version: number; state: { wifi: { password: string } } }>(await api('/device/state', { headers: asDevice }));
  assert.equal(delivered.state.wifi.password, 'hunter2');

  // The diff of two revisions names each changed path.
  await page.locator('[data-testid=revision-row][data-revision="2"]').getByTestId('revision-diff').click();
  const changed = page.locator('[data-testid=diff-result] [data-testid=diff-row][data-path="/state/settings/interval"]');
  await changed.waitFor();
  assert.equal(await changed.getAttribute('data-op'), 'changed');
  assert.match((await changed.textContent()) ?? '', /60.*90/);
  await page.getByTestId('compare-from').selectOption('0');
  await page.getByTestId('compare-to').selectOption('1');
  await page.getByTestId('compare-form').getByRole('button', { name: 'Compare' }).click();
  await page.locator('[data-testid=diff-result] [data-testid=diff-row][data-path="/state/wifi/password"][data-op=added]').waitFor();
  await screenshot(page, 'state-diff');

  // Revert to revision 1, after confirming: a new revision 3 with its content.
  await page.locator('[data-testid=revision-row][data-revision="1"]').getByTestId('revision-revert').click();
  await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click();
  await page.locator('[data-testid=revision-row][data-revision="3"]').waitFor();
  assert.deepEqual(await effective(page, '/settings/interval'), ['60', 'device']);
  assert.match((await page.locator('[data-testid=revision-row][data-revision="3"]').textContent()) ?? '', /Revert to revision 1/);

  // The device has applied nothing: it is in drift, on its page and in the Drift view.
  assert.match((await page.getByTestId('drift-badge').textContent())?.trim() ?? '', /^Behind by 3$/);
  await page.getByTestId('nav-drift').click();
  await page.locator(`[data-testid=drift-row][data-device-id="${device.id}"]`).waitFor();
  assert.equal(await page.getByTestId('drift-row').count(), 1);

  // The device list shows each device's drift, and filters to those in drift.
  await page.getByTestId('nav-devices').click();
  const boilerRow = page.locator(`[data-testid=device-row][data-device-id="${device.id}"]`);
  await boilerRow.getByTestId('drift-badge').filter({ hasText: 'Behind by 3' }).waitFor();
  assert.equal(await page.getByTestId('device-row').count(), 2);
  await page.getByTestId('device-drift-filter').selectOption('true');
  await page.waitForURL('**/devices?drift=true');
  await page.locator('[data-testid=device-row]').nth(1).waitFor({ state: 'detached' });
  assert.deepEqual(await page.locator('[data-testid=device-row] [data-testid=device-link]').allTextContents(), ['boiler-7']);
  await page.getByTestId('device-drift-filter').selectOption('false');
  await page.waitForURL('**/devices?drift=false');
  await page.locator('[data-testid=device-row]', { hasText: 'pump-2' }).waitFor();
  assert.deepEqual(await page.locator('[data-testid=device-row] [data-testid=device-link]').allTextContents(), ['pump-2']);
  await screenshot(page, 'devices-drift');

  // A profile: a bad selector is refused as it is typed; the preview shows each device's changes.
  await page.getByTestId('nav-profiles').click();
  await page.getByTestId('profiles-empty').waitFor();
  await page.getByTestId('add-profile').click();
  await page.getByTestId('profile-name').fill('oslo-base');
  await page.getByTestId('profile-selector').fill('site=oslo,');
  await page.getByTestId('profile-selector-hint').filter({ hasText: 'empty requirement' }).waitFor();
  assert.equal(await page.getByTestId('profile-preview-button').isDisabled(), true);
  await page.getByTestId('profile-selector').fill('site=oslo');
  await page.getByTestId('profile-priority').fill('10');
  await page.getByTestId('profile-state').fill(JSON.stringify({ settings: { interval: 30, mode: 'eco' } }));
  await page.getByTestId('profile-preview-button').click();
  await page.getByTestId('profile-preview').waitFor();
  assert.equal(await page.getByTestId('preview-device').count(), 2);
  const boilerPreview = page.locator(`[data-testid=preview-device][data-device-id="${device.id}"]`);
  // The device layer's interval wins over the profile's, so only the mode changes on boiler-7.
  assert.deepEqual(await boilerPreview.getByTestId('diff-row').evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-op')} ${row.getAttribute('data-path')}`)), [
    'added /settings/mode',
  ]);
  await screenshot(page, 'profile-preview');
  await page.getByTestId('profile-message').fill('Oslo defaults');
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-title').filter({ hasText: 'oslo-base' }).waitFor();
  await page.locator('[data-testid=revision-row][data-revision="1"]').waitFor();

  // On the device page, the profile's values say so.
  await page.goto(`${server.url}/devices/${device.id}`);
  assert.deepEqual(await effective(page, '/settings/mode'), ['"eco"', 'oslo-base']);
  assert.deepEqual(await effective(page, '/settings/interval'), ['60', 'device']);

  // The device reports the version applied: drift clears live.
  const current = await json<{ version: number }>(await api('/device/state', { headers: asDevice }));
  await json(await api('/device/state', { method: 'PATCH', headers: asDevice, body: JSON.stringify({ applied: { version: current.version, status: 'applied', parts: { 'settings': { status: 'ok' } } } }) }));
  await page.getByTestId('drift-badge').filter({ hasText: 'In sync' }).waitFor();
  await page.locator('[data-testid=applied-part][data-part=settings]').waitFor();
  await screenshot(page, 'state-in-sync');

  // A ping, answered by the device over HTTP: queued, sent, then succeeded with its output.
  await page.getByTestId('command-name').selectOption('ping');
  await page.getByTestId('command-send').click();
  const row = page.locator('[data-testid=command-row]').first();
  await row.getByTestId('command-status').waitFor();
  const commandId = await row.getAttribute('data-command-id');
  const poll = await json<{ commands: CommandMessage[] }>(await api('/device/commands?waitSeconds=10', { headers: asDevice }));
  assert.deepEqual(poll.commands.map((command) => [command.id, command.name]), [[commandId, 'ping']]);
  await row.locator('[data-testid=command-status][data-status=sent]').waitFor();
  await json(await api(`/device/commands/${commandId}/result`, { method: 'POST', headers: asDevice, body: JSON.stringify({ status: 'succeeded', output: { pong: true } }) }));
  await row.locator('[data-testid=command-status][data-status=succeeded]').waitFor();
  await row.getByTestId('command-output').filter({ hasText: '{"pong":true}' }).waitFor();

  // A queued command can be cancelled; reboot's form comes from its param schema.
  await page.getByTestId('command-name').selectOption('reboot');
  const delay = page.locator('[data-testid=param-field][data-param=delaySeconds] [data-testid=param-input]');
  assert.equal(await delay.inputValue(), '5');
  await delay.fill('99999');
  assert.equal(await page.getByTestId('command-send').isDisabled(), true);
  await delay.fill('10');
  await page.getByTestId('command-send').click();
  const reboot = page.locator('[data-testid=command-row]', { hasText: 'reboot' });
  await reboot.getByTestId('command-cancel').click();
  await reboot.locator('[data-testid=command-status][data-status=cancelled]').waitFor();
  await screenshot(page, 'commands');

  // The fleet's commands, and a bulk send to a selector that says how many devices it reaches.
  await page.getByTestId('nav-commands').click();
  await page.locator(`[data-testid=command-row][data-command-id="${commandId}"] [data-testid=command-status][data-status=succeeded]`).waitFor();
  await page.getByTestId('bulk-selector').fill('site=oslo');
  await page.getByTestId('bulk-count').filter({ hasText: 'Reaches 2 devices' }).waitFor();
  await page.locator(`[data-testid=command-row][data-command-id="${commandId}"] [data-testid=command-device]`).filter({ hasText: 'boiler-7' }).waitFor();
  await page.getByTestId('command-send').click();
  // A dry run says which devices it reaches; nothing is sent until confirmed.
  await page.getByTestId('bulk-confirm-count').filter({ hasText: '2 devices' }).waitFor();
  assert.match((await page.getByTestId('bulk-confirm').textContent()) ?? '', /boiler-7[\s\S]*pump-2|pump-2[\s\S]*boiler-7/);
  await screenshot(page, 'bulk-confirm');
  await page.getByTestId('bulk-confirm-send').click();
  await page.getByTestId('bulk-sent').filter({ hasText: 'Sent to 2 devices' }).waitFor();
  await page.waitForURL('**/commands?batchId=*');
  await page.locator('[data-testid=command-row]').nth(1).waitFor();
  assert.equal(await page.locator('[data-testid=command-row]').count(), 2);

  // Someone else saves the layer while it is being edited: the typed text stays, the editor says
  // so, a save is refused, and Reload takes their revision.
  await page.goto(`${server.url}/devices/${device.id}`);
  await page.getByTestId('layer-text').waitFor();
  await page.getByTestId('layer-text').fill(JSON.stringify({ settings: { interval: 15 } }));
  await json(await api(`/devices/${device.id}/state`, { method: 'PUT', headers: asAdmin, body: JSON.stringify({ state: { settings: { interval: 99 } }, message: 'meanwhile' }) }));
  await page.getByTestId('layer-conflict').waitFor();
  assert.match(await page.getByTestId('layer-text').inputValue(), /"interval": ?15/);
  await page.getByTestId('layer-save').click();
  await page.getByTestId('layer-conflict').waitFor();
  const stillThere = await json<{ layer: { state: unknown } }>(await api(`/devices/${device.id}/state`, { headers: asAdmin }));
  assert.deepEqual(stillThere.layer.state, { settings: { interval: 99 } }, 'the refused save changed nothing');
  await page.getByTestId('layer-reload').click();
  await page.getByTestId('layer-conflict').waitFor({ state: 'detached' });
  assert.match(await page.getByTestId('layer-text').inputValue(), /"interval": ?99/);

  // A viewer sees state, history and commands, and no button that changes them.
  const viewerPage = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  viewerPage.setDefaultTimeout(15_000);
  viewerPage.on('pageerror', (error) => pageErrors.push(error.message));
  await signIn(viewerPage, server.url, VIEWER);
  await viewerPage.goto(`${server.url}/devices/${device.id}`);
  await viewerPage.getByTestId('layer-readonly').waitFor();
  await viewerPage.locator('[data-testid=revision-row][data-revision="3"]').waitFor();
  await viewerPage.locator('[data-testid=command-row]').first().waitFor();
  for (const testid of ['layer-save', 'revision-revert', 'command-form', 'command-cancel']) {
    assert.equal(await viewerPage.getByTestId(testid).count(), 0, `a viewer sees no ${testid}`);
  }
  await viewerPage.goto(`${server.url}/profiles`);
  await viewerPage.getByTestId('profile-row').waitFor();
  assert.equal(await viewerPage.getByTestId('add-profile').count(), 0);
  assert.equal((await viewerPage.getByTestId('profile-matched').textContent())?.trim(), '2 devices', 'the profile says how many devices it chooses');
  await viewerPage.goto(`${server.url}/commands`);
  await viewerPage.getByTestId('command-list').waitFor();
  assert.equal(await viewerPage.getByTestId('command-form').count(), 0);

  assert.deepEqual(pageErrors, [], 'the pages threw no errors');
});
