/** The git mirror of desired state is optional, and its failures never fail a request. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { STATE_HISTORY_DIR } from '../src/state/state-history.js';
import { createDevice } from './device-helpers.js';
import { createTestApp } from './helpers.js';

describe('desired-state git history', () => {
  test('FLOTILLA_STATE_GIT=false writes none', async () => {
    const t = await createTestApp('sqlite', { stateGit: 'false' });
    try {
      const admin = await t.setup();
      const { device } = await createDevice(t, admin, { name: 'no-git' });
      const put = await t.request({ method: 'PUT', url: `/api/v1/devices/${device.id}/state`, token: admin.accessToken, payload: { state: { a: 1 } } });
      assert.equal(put.statusCode, 200, put.body);
      await t.app.close();
      assert.equal(existsSync(join(t.config.dataDir, STATE_HISTORY_DIR)), false);
    } finally {
      await t.close().catch(() => undefined);
    }
  });

  test('a history that cannot be written is logged, and the change is saved and answered all the same', async () => {
    const t = await createTestApp('sqlite');
    try {
      writeFileSync(join(t.config.dataDir, STATE_HISTORY_DIR), 'a file where the repository should be');
      const admin = await t.setup();
      const { device } = await createDevice(t, admin, { name: 'broken-git' });
      const put = await t.request({ method: 'PUT', url: `/api/v1/devices/${device.id}/state`, token: admin.accessToken, payload: { state: { a: 1 } } });
      assert.equal(put.statusCode, 200, put.body);
      const state = await t.request({ method: 'GET', url: `/api/v1/devices/${device.id}/state`, token: admin.accessToken });
      assert.equal(state.json().layer.revision, 1);
    } finally {
      await t.close();
    }
  });
});
