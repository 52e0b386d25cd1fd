import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig, parseDuration, settings } from './config.js';

describe('configuration', () => {
  test('defaults match the documented ones', () => {
    const config = parseConfig();
    assert.equal(config.httpPort, 8080);
    assert.equal(config.httpHost, '0.0.0.0');
    assert.equal(config.databaseUrl, null);
    assert.equal(config.logLevel, 'info');
    assert.match(config.dataDir, /\/data$/);
    assert.ok(Object.isFrozen(config));
    assert.equal(config.mdns, true, 'flotilla server announces itself unless told not to');
    assert.equal(config.mdnsName, null);
    assert.equal(config.mdnsInterface, null);
  });

  test('a flag wins over its variable, which wins over the default', () => {
    assert.equal(parseConfig({ env: { FLOTILLA_HTTP_PORT: '9000' } }).httpPort, 9000);
    assert.equal(parseConfig({ env: { FLOTILLA_HTTP_PORT: '9000' }, flags: { httpPort: '9001' } }).httpPort, 9001);
  });

  test('a bad value names the setting, its flag and its variable', () => {
    assert.throws(() => parseConfig({ env: { FLOTILLA_HTTP_PORT: 'abc' } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /FLOTILLA_HTTP_PORT \(--http-port\) "abc"/);
      assert.match(error.message, /port number/);
      return true;
    });
    assert.throws(() => parseConfig({ flags: { httpPort: '70000' } }), /--http-port/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_LOG_LEVEL: 'loud' } }), /FLOTILLA_LOG_LEVEL.*one of fatal/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_DATABASE_URL: 'mysql://x' } }), /FLOTILLA_DATABASE_URL.*postgres:\/\//);
    assert.throws(() => parseConfig({ env: { FLOTILLA_ACCESS_TOKEN_TTL: '5 minutes' } }), /FLOTILLA_ACCESS_TOKEN_TTL.*duration/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_BODY_LIMIT: '10' } }), /FLOTILLA_BODY_LIMIT.*at least 1kb/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_SETUP_TOKEN: 'short' } }), /FLOTILLA_SETUP_TOKEN.*16 characters/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_TRUST_PROXY: 'maybe' } }), /FLOTILLA_TRUST_PROXY.*true or false/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_TLS_CERT: '/tmp/cert.pem' } }), /must be set together/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_MDNS: 'sometimes' } }), /FLOTILLA_MDNS \(--mdns\).*true or false/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_MDNS_INTERFACE: 'eth0' } }), /FLOTILLA_MDNS_INTERFACE.*IPv4 address/);
    assert.throws(() => parseConfig({ env: { FLOTILLA_MDNS_NAME: 'a.b' } }), /FLOTILLA_MDNS_NAME.*without dots/);
  });

  test('durations and sizes read the way people write them', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('30d'), 30 * 86_400_000);
    assert.equal(parseConfig({ env: { FLOTILLA_BODY_LIMIT: '2mb' } }).bodyLimitBytes, 2 * 1024 * 1024);
  });

  test('every setting has a flag, a FLOTILLA_ variable and a description', () => {
    for (const definition of settings) {
      assert.match(definition.flag, /^--[a-z-]+$/);
      assert.match(definition.env, /^FLOTILLA_[A-Z_]+$/);
      assert.ok(definition.description.length > 10);
    }
  });
});
