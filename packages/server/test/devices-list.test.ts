/** The device list: label selectors compiled to SQL, name search, every sort, keyset pages. */
import assert from 'node:assert/strict';
import { matchesSelector, parseSelector, type Device, type Page, type Session } from '@flotilla/protocol';
import { after, before, describe, test } from 'node:test';
import { createDevicesService } from '../src/devices/devices.service.js';
import { createLogger } from '../src/log.js';
import { createDevice } from './device-helpers.js';
import { createTestApp, dialects, type TestApp } from './helpers.js';

// name → labels. Names are lowercase letters and digits, so every collation orders them alike.
const fleet: Record<string, Record<string, string>> = {
  alpha: { site: 'oslo', role: 'gateway' },
  bravo: { site: 'oslo', role: 'sensor' },
  charlie: { site: 'bergen', role: 'sensor' },
  delta: { site: 'bergen' },
  echo: { role: 'gateway', retired: '' },
  foxtrot: {},
  golf: { site: 'trondheim', role: 'sensor', tier: 'a' },
  hotel: { site: 'oslo', tier: 'b' },
  india: { tier: 'a' },
  juliet: { site: 'tromso', role: 'camera' },
  kilo: { site: 'oslo', role: 'camera' },
};

const selectors = [
  'site=oslo',
  'site==oslo',
  'site!=oslo',
  'site in (oslo,bergen)',
  'site notin (oslo,bergen)',
  'tier',
  '!tier',
  'retired',
  'retired=',
  'site=oslo,role=sensor',
  'site in (oslo, bergen),role!=gateway,!tier',
  'role notin (sensor),site',
  'site=nowhere',
  '',
];

const sorts = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'lastSeenAt', '-lastSeenAt'] as const;

for (const dialect of dialects) {
  describe(`device list (${dialect})`, () => {
    let t: TestApp;
    let admin: Session;
    const byName = new Map<string, Device>();
    const times = new Map<string, { created: number; updated: number; seen: number | null }>();

    before(async () => {
      t = await createTestApp(dialect);
      admin = await t.setup();
      const names = Object.keys(fleet);
      for (const name of names) byName.set(name, (await createDevice(t, admin, { name, labels: fleet[name] })).device);
      // Ties on every time column, and devices never seen, so order and pages rely on the id.
      for (const [index, name] of names.entries()) {
        const value = { created: 1_000 + Math.floor(index / 3), updated: 5_000 - (index % 2), seen: index % 4 === 0 ? null : 9_000 + (index % 3) };
        times.set(name, value);
        await t.store.db
          .updateTable('devices')
          .set({ created_at: value.created, updated_at: value.updated, last_seen_at: value.seen })
          .where('id', '=', byName.get(name)!.id)
          .execute();
      }
    });
    after(() => t.close());

    async function page(query: Record<string, string | number>): Promise<Page<Device>> {
      const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]));
      const response = await t.request({ method: 'GET', url: `/api/v1/devices?${search}`, token: admin.accessToken });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    }

    async function walk(query: Record<string, string | number>, limit: number): Promise<string[]> {
      const names: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const result: Page<Device> = await page({ ...query, limit, ...(cursor ? { cursor } : {}) });
        assert.ok(result.items.length <= limit);
        names.push(...result.items.map((device) => device.name));
        cursor = result.nextCursor;
        if (!cursor) return names;
      }
      throw new Error('pagination did not end');
    }

    function expectedOrder(sort: (typeof sorts)[number]): string[] {
      const isDescending = sort.startsWith('-');
      const key = isDescending ? sort.slice(1) : sort;
      const valueOf = (name: string): string | number | null => {
        const time = times.get(name)!;
        return key === 'name' ? name : key === 'createdAt' ? time.created : key === 'updatedAt' ? time.updated : time.seen;
      };
      const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
      return Object.keys(fleet).sort((a, b) => {
        const [valueA, valueB] = [valueOf(a), valueOf(b)];
        if (valueA === null || valueB === null) {
          if (valueA !== valueB) return valueA === null ? 1 : -1;
        } else if (valueA !== valueB) return isDescending ? compare(valueB, valueA) : compare(valueA, valueB);
        const [idA, idB] = [byName.get(a)!.id, byName.get(b)!.id];
        return isDescending ? compare(idB, idA) : compare(idA, idB);
      });
    }

    test('every selector operator chooses what matchesSelector chooses', async () => {
      const devices = createDevicesService({ db: t.store.db, log: createLogger({ logLevel: 'silent' }) });
      for (const selector of selectors) {
        const requirements = parseSelector(selector);
        const expected = Object.keys(fleet).filter((name) => matchesSelector(fleet[name]!, requirements)).sort();
        const listed = (await page({ selector, limit: 500 })).items.map((device) => device.name).sort();
        assert.deepEqual(listed, expected, selector);
        const resolved = await devices.resolveSelector(admin.user.tenantId, selector);
        assert.deepEqual(resolved, expected.map((name) => byName.get(name)!.id).sort(), `resolveSelector ${selector}`);
      }
      // Spot checks, so the comparison above cannot pass by both sides being empty.
      assert.deepEqual((await page({ selector: 'site=oslo,role=sensor' })).items.map((device) => device.name), ['bravo']);
      assert.deepEqual((await page({ selector: 'site!=oslo', sort: 'name' })).items.map((device) => device.name), [
        'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'india', 'juliet',
      ]);
      assert.deepEqual((await page({ selector: '!site,tier' })).items.map((device) => device.name), ['india']);
    });

    test('q finds names case-insensitively and takes LIKE wildcards literally', async () => {
      await createDevice(t, admin, { name: 'Search_Me-1', labels: { qtest: 'yes' } });
      await createDevice(t, admin, { name: 'searchXme-2', labels: { qtest: 'yes' } });
      const found = async (q: string, selector = '') => (await page({ q, selector })).items.map((device) => device.name);
      assert.deepEqual(await found('ALPH'), ['alpha']);
      assert.deepEqual(await found('CH_ME', 'qtest'), ['Search_Me-1']);
      assert.deepEqual(await found('%'), []);
      assert.deepEqual(await found('me-', 'qtest'), ['Search_Me-1', 'searchXme-2'].sort());
      assert.deepEqual(await found('o', 'site=oslo'), ['bravo', 'hotel', 'kilo']);
      await t.store.db.deleteFrom('devices').where('name', 'in', ['Search_Me-1', 'searchXme-2']).execute();
    });

    test('each sort orders as documented, nulls last and ties broken by id', async () => {
      for (const sort of sorts) {
        assert.deepEqual(await walk({ sort }, 500), expectedOrder(sort), sort);
      }
      assert.deepEqual(await walk({}, 500), expectedOrder('name'), 'name is the default sort');
    });

    test('walking pages of any size visits every device once, in order', async () => {
      for (const sort of sorts) {
        for (const limit of [1, 2, 3, 5]) {
          assert.deepEqual(await walk({ sort }, limit), expectedOrder(sort), `${sort} by ${limit}`);
        }
      }
      const filtered = await walk({ sort: '-lastSeenAt', selector: 'site' }, 2);
      assert.deepEqual(filtered, expectedOrder('-lastSeenAt').filter((name) => 'site' in fleet[name]!));
    });

    test('a page says where the next starts, and the last page says null', async () => {
      const first = await page({ limit: 4 });
      assert.equal(first.items.length, 4);
      assert.equal(typeof first.nextCursor, 'string');
      const all = await page({ limit: Object.keys(fleet).length });
      assert.equal(all.nextCursor, null);
    });
  });
}
