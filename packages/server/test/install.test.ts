import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestApp, type TestApp } from './helpers.js';

let t: TestApp;
before(async () => {
  t = await createTestApp('sqlite');
});
after(() => t.close());

describe('agent install files', () => {
  it('serves the install script with this server as its source', async () => {
    const response = await t.request({ url: '/install/agent.sh', headers: { host: 'flotilla.local:8080' } });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /shellscript/);
    assert.match(response.body, /^#!\/bin\/sh/);
    assert.match(response.body, /SERVER_URL="\$\{FLOTILLA_SERVER_URL:-http:\/\/flotilla\.local:8080\}"/);
  });

  it('serves the systemd unit, and the agent bundle or a problem saying how to build it', async () => {
    const unit = await t.request({ url: '/install/flotilla-agent.service' });
    assert.equal(unit.statusCode, 200);
    assert.match(unit.body, /RestartPreventExitStatus=78/);
    const bundle = await t.request({ url: '/install/flotilla-agent.mjs' });
    if (bundle.statusCode === 200) {
      assert.match(bundle.body, /^#!\/usr\/bin\/env node/);
    } else {
      assert.equal(bundle.statusCode, 404);
      assert.match(String(bundle.headers['content-type']), /application\/problem\+json/);
      assert.equal(bundle.json().code, 'AGENT_BUNDLE_MISSING');
      assert.match(bundle.json().detail, /npm run build -w packages\/agent/);
    }
  });
});
