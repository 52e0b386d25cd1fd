/** Bad input to the device routes: every answer is a 4xx problem naming what is wrong, never a 500. */
import assert from 'node:assert/strict';
import type { Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { encodeCursor } from '../src/store/pagination.js';
import { assertProblem, createDevice } from './device-helpers.js';
import { createTestApp, dialects, type TestApp } from './helpers.js';

for (const dialect of dialects) {
  describe(`device input checks (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    let deviceId: string;
    before(async () => {
      t = await createTestApp(dialect, { bodyLimitBytes: '2kb' });
      admin = await t.setup();
      deviceId = (await createDevice(t, admin, { name: 'target', labels: { site: 'oslo' } })).device.id;
    });
    after(() => t.close());

    const post = (payload: unknown) => t.request({ method: 'POST', url: '/api/v1/devices', token: admin.accessToken, payload: payload as object });
    const patch = (payload: unknown) =>
      t.request({ method: 'PATCH', url: `/api/v1/devices/${deviceId}`, token: admin.accessToken, payload: payload as object });
    const list = (query: string) => t.request({ method: 'GET', url: `/api/v1/devices?${query}`, token: admin.accessToken });

    test('malformed JSON answers 400 MALFORMED_BODY', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/devices',
        token: admin.accessToken,
        headers: { 'content-type': 'application/json' },
        payload: '{"name": "x",',
      });
      assertProblem(response, 400, 'MALFORMED_BODY');
    });

    test('wrong types, unknown fields and missing fields name the field', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ name: 5 }, /body\/name/],
        [{}, /body\/name is required/],
        [{ name: 'ok', colour: 'red' }, /body\/colour is not a known field/],
        [{ name: 'ok', labels: ['a'] }, /body\/labels/],
        [{ name: 'ok', labels: { site: 5 } }, /body\/labels\/site/],
        [{ name: 'ok', metadata: 'x' }, /body\/metadata/],
        [[], /body/],
      ];
      for (const [payload, field] of cases) {
        const response = await post(payload);
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.match(response.json().detail, field, JSON.stringify(payload));
      }
      assertProblem(await patch({ colour: 'red' }), 400, 'VALIDATION_FAILED');
      assertProblem(await patch({ labels: { site: 7 } }), 400, 'VALIDATION_FAILED');
    });

    test('names, label keys and label values must match their patterns', async () => {
      for (const name of ['', ' leading', 'trailing ', 'semi;colon', 'x'.repeat(129), 'ünïcode', 'tab\there']) {
        assertProblem(await post({ name }), 400, 'VALIDATION_FAILED');
      }
      for (const name of ['a', 'Pump 7', 'edge.node_1-b', 'x'.repeat(128)]) {
        assert.equal((await post({ name })).statusCode, 201, name);
      }
      for (const labels of [{ '-bad': 'x' }, { 'has space': 'x' }, { ok: 'has space' }, { ok: 'x'.repeat(64) }, { ['k'.repeat(64)]: 'v' }]) {
        assertProblem(await post({ name: 'labelled', labels }), 400, 'VALIDATION_FAILED');
        assertProblem(await patch({ labels }), 400, 'VALIDATION_FAILED');
      }
    });

    test('limits on labels and metadata hold after merging, too', async () => {
      const many = Object.fromEntries(Array.from({ length: 64 }, (_, index) => [`k${index}`, 'v']));
      const full = await createDevice(t, admin, { name: 'full', labels: many });
      const overflow = await t.request({ method: 'PATCH', url: `/api/v1/devices/${full.device.id}`, token: admin.accessToken, payload: { labels: { one: 'more' } } });
      assertProblem(overflow, 400, 'VALIDATION_FAILED');
      assert.match(overflow.json().detail, /body\/labels/);
      assertProblem(await post({ name: 'too-many', labels: { ...many, one: 'more' } }), 400, 'VALIDATION_FAILED');
      let deep: unknown = 1;
      for (let level = 0; level < 40; level++) deep = { d: deep };
      assertProblem(await post({ name: 'deep', metadata: deep }), 400, 'VALIDATION_FAILED');
      assertProblem(await patch({ metadata: deep }), 400, 'VALIDATION_FAILED');
      assertProblem(await post({ name: 'long-key', metadata: { ['k'.repeat(129)]: 1 } }), 400, 'VALIDATION_FAILED');
    });

    test('a body over the limit answers 413', async () => {
      const response = await post({ name: 'big', metadata: { blob: 'x'.repeat(4096) } });
      assertProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    test('a bad selector answers 400 INVALID_SELECTOR naming the bad part', async () => {
      const cases: Array<[string, RegExp]> = [
        ['site in (oslo', /unbalanced/],
        ['site in ()', /site in \(\)/],
        ['site=oslo,,role=x', /empty requirement/],
        ['bad key=1', /bad key/],
        ['site=has space', /has space/],
        [Array.from({ length: 51 }, (_, index) => `k${index}`).join(','), /at most 50/],
      ];
      for (const [selector, part] of cases) {
        const response = await list(`selector=${encodeURIComponent(selector)}`);
        assertProblem(response, 400, 'INVALID_SELECTOR');
        assert.match(response.json().detail, part, selector);
      }
    });

    test('bad cursors, limits and sorts answer 400', async () => {
      for (const cursor of ['garbage', encodeCursor(['x', 'dev_1']).slice(0, -2), encodeCursor([123, 'dev_1'])]) {
        assertProblem(await list(`cursor=${encodeURIComponent(cursor)}`), 400, 'INVALID_CURSOR');
      }
      // A cursor of one sort order used with another, and values SQL must never see.
      assertProblem(await list(`sort=createdAt&cursor=${encodeCursor(['target', deviceId])}`), 400, 'INVALID_CURSOR');
      assertProblem(await list(`sort=createdAt&cursor=${Buffer.from('[1e400,"dev_1"]').toString('base64url')}`), 400, 'INVALID_CURSOR');
      assertProblem(await list(`cursor=${encodeCursor(['a\u0000b', 'dev_1'])}`), 400, 'INVALID_CURSOR');
      assertProblem(await list(`sort=name&cursor=${encodeCursor(['a', 'dev_\u0000'])}`), 400, 'INVALID_CURSOR');
      for (const query of ['limit=0', 'limit=501', 'limit=ten', 'sort=colour', 'sort=--name', 'q=a%00b', 'extra=1']) {
        assertProblem(await list(query), 400, 'VALIDATION_FAILED');
      }
    });

    test('odd ids answer 404 or 400, never 500', async () => {
      assertProblem(await t.request({ method: 'GET', url: '/api/v1/devices/dev_nope', token: admin.accessToken }), 404, 'DEVICE_NOT_FOUND');
      for (const id of ['a%00b', '%F0%9F%98%80', 'x'.repeat(65)]) {
        const response = await t.request({ method: 'GET', url: `/api/v1/devices/${id}`, token: admin.accessToken });
        assertProblem(response, 400, 'VALIDATION_FAILED');
      }
    });

    test('a text body is refused with 415', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/devices',
        token: admin.accessToken,
        headers: { 'content-type': 'text/plain' },
        payload: 'name=x',
      });
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });
}
