import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { collectInventory, inventoryHash } from './collect-inventory.js';

const root = mkdtempSync(join(tmpdir(), 'flotilla-inventory-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('inventory', () => {
  it('names a Raspberry Pi from its device tree and the OS from os-release', () => {
    const deviceTreeDir = join(root, 'device-tree');
    const etcDir = join(root, 'etc');
    mkdirSync(deviceTreeDir);
    mkdirSync(etcDir);
    writeFileSync(join(deviceTreeDir, 'model'), 'Raspberry Pi 4 Model B Rev 1.4\0');
    writeFileSync(join(etcDir, 'os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n');
    const inventory = collectInventory({ deviceTreeDir, etcDir, agentVersion: '1.2.3' });
    assert.equal(inventory.board.model, 'Raspberry Pi 4 Model B Rev 1.4');
    assert.equal(inventory.os.name, 'Debian GNU/Linux');
    assert.equal(inventory.os.version, '12 (bookworm)');
    assert.equal(inventory.agent.version, '1.2.3');
    assert.ok(inventory.cpu.cores >= 1);
    assert.ok(inventory.memoryBytes > 0);
  });

  it('has no board model where there is no device tree, and a hash that follows changes', () => {
    const plain = collectInventory({ deviceTreeDir: join(root, 'absent'), agentVersion: '1.0.0' });
    assert.equal(plain.board.model, null);
    assert.equal(inventoryHash(plain), inventoryHash(structuredClone(plain)));
    assert.notEqual(inventoryHash(plain), inventoryHash({ ...plain, agent: { ...plain.agent, version: '1.0.1' } }));
  });
});
