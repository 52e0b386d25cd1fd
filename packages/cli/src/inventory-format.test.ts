import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, inventoryRows } from './inventory-format.js';

describe('inventory summary', () => {
  test('shows the agent inventory as one line per part', () => {
    const rows = new Map(
      inventoryRows({
        hostname: 'pi-1',
        os: { platform: 'linux', name: 'Debian GNU/Linux', version: '12 (bookworm)', kernel: '6.1.0' },
        arch: 'arm64',
        cpu: { model: 'Cortex-A72', cores: 4 },
        memoryBytes: 4 * 1024 ** 3,
        disks: [{ mount: '/', device: '/dev/mmcblk0p2', fsType: 'ext4', totalBytes: 32 * 1024 ** 3 }],
        network: [{ name: 'eth0', mac: 'aa', addresses: ['10.0.0.2/24', 'fe80::1/64'] }],
        board: { model: 'Raspberry Pi 4 Model B', serial: 'abc' },
        agent: { version: '1.2.3', node: 'v20.11.0' },
      }),
    );
    assert.equal(rows.get('os'), 'Debian GNU/Linux 12 (bookworm), kernel 6.1.0');
    assert.equal(rows.get('arch'), 'arm64');
    assert.equal(rows.get('board'), 'Raspberry Pi 4 Model B (serial abc)');
    assert.equal(rows.get('agent'), '1.2.3 (node v20.11.0)');
    assert.equal(rows.get('cpu'), 'Cortex-A72 × 4 cores');
    assert.equal(rows.get('memory'), '4.0 GiB');
    assert.equal(rows.get('disks'), '/ 32.0 GiB ext4');
    assert.equal(rows.get('network'), 'eth0 10.0.0.2/24, fe80::1/64');
  });

  test('a partial or oddly typed inventory shows what it has and - for the rest', () => {
    const rows = new Map(inventoryRows({ arch: 'x86_64', os: 'linux', cpu: { cores: 'many' }, disks: 'none', network: [null, 3] }));
    assert.equal(rows.get('arch'), 'x86_64');
    assert.equal(rows.get('os'), '-');
    assert.equal(rows.get('cpu'), '-');
    assert.equal(rows.get('disks'), '-');
    assert.equal(rows.get('network'), '-');
  });

  test('no inventory is one row saying so', () => {
    assert.deepEqual(inventoryRows(null), [['inventory', '- (not reported)']]);
  });

  test('bytes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
  });
});
