import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { settings } from '@flotilla/server';
import { CommanderError } from 'commander';
import { buildServerCommand, settingFlags } from '../src/commands/server.js';
import { createOutput } from '../src/output.js';

/** An output whose stdout and stderr are collected as text. */
function collectingOutput() {
  const written = { stdout: '', stderr: '' };
  const sink = (name: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written[name] += chunk.toString();
        callback();
      },
    });
  return { output: createOutput({ stdout: sink('stdout'), stderr: sink('stderr') }), written };
}

describe('flotilla server flags', () => {
  test('--help lists every setting with its flag, variable and default', () => {
    const { output, written } = collectingOutput();
    const command = buildServerCommand(settings, { output });
    assert.throws(() => command.parse(['--help'], { from: 'user' }), (error: unknown) => error instanceof CommanderError && error.code === 'commander.helpDisplayed');
    // Commander wraps long lines; compare with the wrapping undone.
    const help = written.stdout.replace(/\s+/g, ' ');
    for (const setting of settings) {
      assert.ok(help.includes(`${setting.flag} <value>`), `help should list ${setting.flag}`);
      assert.ok(help.includes(`env ${setting.env}, default ${setting.defaultValue ?? 'none'}`), `help should give ${setting.env} and its default`);
    }
  });

  test('flags arrive keyed by setting, and only the ones given', () => {
    const { output } = collectingOutput();
    const command = buildServerCommand(settings, { output });
    command.parse(['--http-port', '9000', '--access-token-ttl=5m', '--web-dir', ''], { from: 'user' });
    assert.deepEqual(settingFlags(command, settings), { httpPort: '9000', accessTokenTtlMs: '5m', webDir: '' });
  });

  test('an unknown flag is refused', () => {
    const { output } = collectingOutput();
    const command = buildServerCommand(settings, { output });
    assert.throws(() => command.parse(['--http-prot', '80'], { from: 'user' }), (error: unknown) => error instanceof CommanderError && /unknown option '--http-prot'/.test(error.message));
  });
});
