import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentError } from '../errors.js';
import { loadAgentConfig } from './config.js';

const directory = mkdtempSync(join(tmpdir(), 'flotilla-agent-config-'));
after(() => rmSync(directory, { recursive: true, force: true }));

function configFile(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

function errorOf(run: () => unknown): AgentError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof AgentError, `expected an AgentError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

describe('agent configuration', () => {
  it('takes flags over variables over the file over defaults', () => {
    const file = configFile('precedence.json', JSON.stringify({ server: 'http://from-file:1', metricsInterval: '1m', queueMax: '1mb', logLevel: 'debug' }));
    const config = loadAgentConfig({
      configFile: file,
      env: { FLOTILLA_AGENT_SERVER: 'http://from-env:2', FLOTILLA_AGENT_METRICS_INTERVAL: '20s' },
      flags: { metricsIntervalMs: '10s' },
    });
    assert.equal(config.server, 'http://from-env:2');
    assert.equal(config.metricsIntervalMs, 10_000);
    assert.equal(config.queueMaxBytes, 1024 * 1024);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.transport, 'auto');
    assert.equal(config.enrollToken, null);
    assert.ok(Object.isFrozen(config));
  });

  it('reads <state-dir>/agent.json when no file is named', () => {
    const stateDir = mkdtempSync(join(directory, 'state-'));
    writeFileSync(join(stateDir, 'agent.json'), JSON.stringify({ enrollToken: 'fle_abc', allowShell: true }));
    const config = loadAgentConfig({ flags: { stateDir } });
    assert.equal(config.enrollToken, 'fle_abc');
    assert.equal(config.allowShell, true);
  });

  it('names the flag and what is wrong with a bad duration', () => {
    const error = errorOf(() => loadAgentConfig({ flags: { metricsIntervalMs: 'often' } }));
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.message, /--metrics-interval "often" must be a duration/);
  });

  it('names the variable of a bad URL', () => {
    const error = errorOf(() => loadAgentConfig({ env: { FLOTILLA_AGENT_SERVER: 'ftp://x' } }));
    assert.match(error.message, /FLOTILLA_AGENT_SERVER "ftp:\/\/x" must start with http/);
  });

  it('names the file key of a bad value and an unknown key', () => {
    const badValue = configFile('bad-value.json', JSON.stringify({ localApiPort: 70000 }));
    assert.match(errorOf(() => loadAgentConfig({ configFile: badValue })).message, /localApiPort in .*bad-value\.json 70000 must be a port number/);
    const unknownKey = configFile('unknown.json', JSON.stringify({ metricInterval: '10s' }));
    assert.match(errorOf(() => loadAgentConfig({ configFile: unknownKey })).message, /key "metricInterval" is not a setting/);
    const wrongType = configFile('wrong-type.json', JSON.stringify({ server: { url: 'x' } }));
    assert.match(errorOf(() => loadAgentConfig({ configFile: wrongType })).message, /key "server" must be a string/);
  });

  it('says when the named file is missing or not JSON', () => {
    const missing = errorOf(() => loadAgentConfig({ configFile: join(directory, 'nope.json') }));
    assert.equal(missing.code, 'CONFIG_FILE_UNREADABLE');
    assert.match(missing.message, /nope\.json \(from --config\): ENOENT/);
    const notJson = configFile('broken.json', '{ server: ');
    assert.match(errorOf(() => loadAgentConfig({ configFile: notJson })).message, /broken\.json is not JSON/);
  });

  it('refuses an enrollment token together with a claim code', () => {
    const error = errorOf(() => loadAgentConfig({ flags: { enrollToken: 'fle_a', claimCode: 'ABCD' } }));
    assert.match(error.message, /--enroll-token and --claim-code exclude each other/);
  });
});
