import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, inventoryView, isInventoryReport } from './inventory-view.js';

describe('inventory view', () => {
  test('the agent inventory: headline, facts, disks and interfaces', () => {
    const view = inventoryView({
      hostname: 'pi-1',
      os: { platform: 'linux', name: 'Debian GNU/Linux', version: '12 (bookworm)', kernel: '6.1.0' },
      arch: 'arm64',
      cpu: { model: 'Cortex-A72', cores: 4 },
      memoryBytes: 4 * 1024 ** 3,
      disks: [{ mount: '/', device: '/dev/mmcblk0p2', fsType: 'ext4', totalBytes: 32 * 1024 ** 3 }],
      network: [{ name: 'eth0', mac: 'dc:a6:32:00:00:01', addresses: ['10.0.0.2/24'] }],
      board: { model: 'Raspberry Pi 4 Model B', serial: 'abc' },
      agent: { version: '1.2.3', node: 'v20.11.0' },
    });
    assert.equal(view.agentVersion, '1.2.3');
    assert.equal(view.boardModel, 'Raspberry Pi 4 Model B');
    assert.deepEqual(Object.fromEntries(view.facts), {
      Hostname: 'pi-1',
      'Operating system': 'Debian GNU/Linux 12 (bookworm)',
      Kernel: '6.1.0',
      Architecture: 'arm64',
      CPU: 'Cortex-A72 × 4 cores',
      Memory: '4.0 GiB',
      'Board serial': 'abc',
      'Node.js': 'v20.11.0',
    });
    assert.deepEqual(view.disks, [{ mount: '/', device: '/dev/mmcblk0p2', fsType: 'ext4', size: '32.0 GiB' }]);
    assert.deepEqual(view.network, [{ name: 'eth0', mac: 'dc:a6:32:00:00:01', addresses: ['10.0.0.2/24'] }]);
  });

  test('a hand-written partial inventory shows what it has', () => {
    const view = inventoryView({ arch: 'x86_64', os: 'linux', disks: 'none', network: [null, { name: 'wlan0', addresses: [1, '10.0.0.9/24'] }] });
    assert.equal(view.agentVersion, null);
    assert.equal(view.boardModel, null);
    assert.deepEqual(view.facts, [['Architecture', 'x86_64']]);
    assert.deepEqual(view.disks, []);
    assert.deepEqual(view.network, [{ name: 'wlan0', mac: '-', addresses: ['10.0.0.9/24'] }]);
  });

  test('bytes and report events', () => {
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(isInventoryReport({ kind: 'state.reported', data: { inventory: true } }), true);
    assert.equal(isInventoryReport({ kind: 'state.reported', data: { inventory: false } }), false);
    assert.equal(isInventoryReport({ kind: 'log', data: { inventory: true } }), false);
  });
});
