import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topics } from '@flotilla/protocol';
import { isDeliveryAllowed, isServerTopic, isSubscriptionAllowed, publishableKind } from './acl.js';

test('a device publishes only its own device → server topics', () => {
  assert.equal(publishableKind('a', topics.telemetry('a'))?.kind, 'telemetry');
  assert.equal(publishableKind('a', topics.stateReported('a'))?.kind, 'stateReported');
  assert.equal(publishableKind('a', topics.commandResult('a', 'c1'))?.kind, 'commandResult');
  assert.equal(publishableKind('a', topics.events('a'))?.kind, 'events');
  assert.equal(publishableKind('a', topics.telemetry('b')), null, "another device's topic");
  assert.equal(publishableKind('a', topics.stateDesired('a')), null, 'the server publishes the desired state');
  assert.equal(publishableKind('a', topics.command('a', 'c1')), null, 'the server publishes commands');
  assert.equal(publishableKind('a', topics.commandCancel('a', 'c1')), null, 'the server publishes cancellations');
  assert.equal(publishableKind('a', 'flotilla/v1/d/a/other'), null);
  assert.equal(publishableKind('a', '$SYS/broker'), null);
});

test('a device subscribes under its own prefix only', () => {
  assert.equal(isSubscriptionAllowed('a', 'flotilla/v1/d/a/#'), true);
  assert.equal(isSubscriptionAllowed('a', topics.commands('a')), true);
  assert.equal(isSubscriptionAllowed('a', 'flotilla/v1/d/ab/#'), false, 'a longer id that starts the same');
  assert.equal(isSubscriptionAllowed('a', 'flotilla/v1/d/+/commands/+'), false);
  assert.equal(isSubscriptionAllowed('a', '#'), false);
  assert.equal(isSubscriptionAllowed('a', '$share/g/flotilla/v1/d/a/#'), false);
});

test('only server → device messages of its own reach a device', () => {
  assert.equal(isDeliveryAllowed('a', topics.command('a', 'c1')), true);
  assert.equal(isDeliveryAllowed('a', topics.stateDesired('a')), true);
  assert.equal(isDeliveryAllowed('a', topics.commandCancel('a', 'c1')), true);
  assert.equal(isDeliveryAllowed('a', topics.commandCancel('b', 'c1')), false);
  assert.equal(isDeliveryAllowed('a', topics.telemetry('a')), false);
  assert.equal(isDeliveryAllowed('a', topics.command('b', 'c1')), false);
  assert.equal(isServerTopic(topics.command('b', 'c1')), true);
  assert.equal(isServerTopic(topics.telemetry('b')), false);
});
