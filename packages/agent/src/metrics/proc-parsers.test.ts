import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuPercent, dataMounts, parseMeminfo, parseMounts, parseNetDev, parseProcStat } from './proc-parsers.js';

describe('kernel file parsers', () => {
  it('measures CPU busy percent between two /proc/stat samples', () => {
    const before = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n')!;
    const after = parseProcStat('cpu  150 0 150 800 100 0 0 0 0 0\n')!;
    assert.equal(cpuPercent(before, after), 50);
    assert.equal(cpuPercent(after, after), null);
    assert.equal(parseProcStat('intr 1 2 3'), null);
  });

  it('reads /proc/meminfo in bytes', () => {
    const info = parseMeminfo('MemTotal:        1000 kB\nMemAvailable:     250 kB\nHugePages_Total:       0\n');
    assert.equal(info.get('MemTotal'), 1024_000);
    assert.equal(info.get('MemAvailable'), 256_000);
    assert.equal(info.get('HugePages_Total'), 0);
  });

  it('reads interface byte counters from /proc/net/dev', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:    1234      10    0    0    0     0          0         0     1234      10    0    0    0     0       0          0',
      '  eth0: 9876543    5000    0    0    0     0          0         0   123456    3000    0    0    0     0       0          0',
    ].join('\n');
    assert.deepEqual(parseNetDev(text), [
      { name: 'lo', rxBytes: 1234, txBytes: 1234 },
      { name: 'eth0', rxBytes: 9876543, txBytes: 123456 },
    ]);
  });

  it('keeps only mounts that hold data, each device once', () => {
    const mounts = parseMounts(
      [
        '/dev/mmcblk0p2 / ext4 rw,noatime 0 0',
        'proc /proc proc rw 0 0',
        'tmpfs /run tmpfs rw 0 0',
        '/dev/mmcblk0p1 /boot/firmware vfat rw 0 0',
        '/dev/mmcblk0p2 /var/lib/docker/bind ext4 rw 0 0',
        '/dev/sda1 /mnt/my\\040disk ext4 rw 0 0',
        '/dev/loop0 /snap/core/1 squashfs ro 0 0',
      ].join('\n'),
    );
    assert.deepEqual(
      dataMounts(mounts).map((mount) => mount.mountPoint),
      ['/', '/boot/firmware', '/mnt/my disk'],
    );
  });
});
