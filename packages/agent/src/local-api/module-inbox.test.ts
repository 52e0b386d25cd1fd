import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createModuleInbox, moduleOfCommand } from './module-inbox.js';

const command = (id: string, name: string) => ({ id, name, params: {}, createdAt: Date.now(), expiresAt: null, timeoutMs: 60_000 });

describe('module inbox', () => {
  it('routes module.<name>.<command> to the module and nothing else', () => {
    assert.deepEqual(moduleOfCommand('module.garden.water'), { module: 'garden', command: 'water' });
    assert.deepEqual(moduleOfCommand('module.led.set.color'), { module: 'led', command: 'set.color' });
    assert.equal(moduleOfCommand('ping'), null);
    assert.equal(moduleOfCommand('module.garden'), null);
    assert.equal(moduleOfCommand('module..x'), null);
  });

  it('hands a waiting poller the command as soon as it arrives, once', async () => {
    const inbox = createModuleInbox();
    const polling = inbox.take('garden', 10_000);
    assert.equal(inbox.deliver(command('c1', 'module.garden.water')), true);
    assert.equal(inbox.deliver(command('c1', 'module.garden.water')), true);
    const taken = await polling;
    assert.deepEqual(taken.map((item) => [item.id, item.name, item.module]), [['c1', 'water', 'garden']]);
    assert.equal(inbox.ownerOf('c1'), 'garden');
    assert.deepEqual(await inbox.take('garden', 0), []);
    assert.equal(inbox.deliver(command('c2', 'reboot')), false);
  });
});
