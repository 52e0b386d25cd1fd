import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceTopicPrefix, parseDeviceTopic, topics } from './topics.js';

test('topics are built and parsed from one definition', () => {
  assert.equal(topics.telemetry('dev_1'), 'flotilla/v1/d/dev_1/telemetry');
  assert.equal(deviceTopicPrefix('dev_1'), 'flotilla/v1/d/dev_1/');
  assert.deepEqual(parseDeviceTopic(topics.telemetry('dev_1')), { deviceId: 'dev_1', kind: 'telemetry' });
  assert.deepEqual(parseDeviceTopic(topics.stateReported('dev_1')), { deviceId: 'dev_1', kind: 'stateReported' });
  assert.deepEqual(parseDeviceTopic(topics.commandResult('dev_1', 'cmd_9')), { deviceId: 'dev_1', kind: 'commandResult', commandId: 'cmd_9' });
  assert.deepEqual(parseDeviceTopic(topics.command('dev_1', 'cmd_9')), { deviceId: 'dev_1', kind: 'command', commandId: 'cmd_9' });
  assert.deepEqual(parseDeviceTopic(topics.commandCancel('dev_1', 'cmd_9')), { deviceId: 'dev_1', kind: 'commandCancel', commandId: 'cmd_9' });
  assert.equal(topics.commandCancels('dev_1'), 'flotilla/v1/d/dev_1/commands/+/cancel');
  assert.equal(parseDeviceTopic('flotilla/v1/d/dev_1/commands/cmd_9/other'), null);
  assert.equal(parseDeviceTopic('flotilla/v1/d/dev_1/other'), null);
  assert.equal(parseDeviceTopic('flotilla/v2/d/dev_1/telemetry'), null);
  assert.equal(parseDeviceTopic('flotilla/v1/d/+/telemetry'), null);
});
