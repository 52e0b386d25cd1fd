/**
 * One client of the live stream: its principal (tenant and role), its subscriptions, and the
 * messages it sends. Bad messages are answered with `{"type":"error",…}` and the connection
 * stays open. Events reach it only from its own tenant (the service routes by tenant).
 */
import { LIVE_MAX_SUBSCRIPTIONS, LiveClientMessageSchema, type LiveClientMessage, type LiveErrorCode, type LiveServerMessage } from '@flotilla/protocol';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Principal } from '../auth/principal.js';
import type { BusEvents } from '../bus/bus.js';
import { AppError } from '../errors.js';
import type { Authenticate } from '../http/access.js';
import type { LabelCache } from './label-cache.js';
import { levelOfServerEvent, messageOfServerEvent } from '../events/server-events.js';
import { matchesDevice, selectPoints, toSubscription, type LiveSubscription } from './live-subscription.js';
import type { LiveSender } from './live-sender.js';

const checker = TypeCompiler.Compile(LiveClientMessageSchema);

/** The events a connection receives, by name. */
export type LiveEvents = Pick<BusEvents, 'telemetry' | 'presence' | 'deviceEvent' | 'command'>;

/** What a connection is made of. */
export interface LiveConnectionDependencies {
  principal: Principal;
  token: string;
  sender: LiveSender;
  labels: LabelCache;
  authenticate: Authenticate;
}

/** Creates the state of one client. */
export function createLiveConnection({ principal: initial, token: initialToken, sender, labels, authenticate }: LiveConnectionDependencies) {
  let principal = initial;
  let token = initialToken;
  const subscriptions = new Map<string, LiveSubscription>();
  const tenantId = initial.tenantId;

  const send = (message: LiveServerMessage) => sender.send(JSON.stringify(message));
  const fail = (code: LiveErrorCode, message: string, id?: string) => send({ type: 'error', code, message, ...(id ? { id } : {}) });

  function parse(text: string): LiveClientMessage | null {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail('INVALID_MESSAGE', 'messages are JSON objects with a "type" of subscribe, unsubscribe or auth');
      return null;
    }
    if (checker.Check(value)) return value;
    const first = checker.Errors(value).First();
    fail('INVALID_MESSAGE', first ? `${first.path || '/'}: ${first.message}` : 'not a live message');
    return null;
  }

  function forget(id: string): void {
    const subscription = subscriptions.get(id);
    if (subscription?.requirements) labels.release(tenantId);
    subscriptions.delete(id);
  }

  async function subscribe(message: Extract<LiveClientMessage, { type: 'subscribe' }>): Promise<void> {
    let subscription: LiveSubscription;
    try {
      subscription = toSubscription(message);
    } catch (error) {
      if (error instanceof AppError) return fail('INVALID_SELECTOR', error.detail, message.id);
      throw error;
    }
    if (!subscriptions.has(message.id) && subscriptions.size >= LIVE_MAX_SUBSCRIPTIONS) {
      return fail('TOO_MANY_SUBSCRIPTIONS', `at most ${LIVE_MAX_SUBSCRIPTIONS} subscriptions per connection`, message.id);
    }
    if (subscription.requirements) await labels.acquire(tenantId);
    forget(message.id);
    subscriptions.set(message.id, subscription);
    send({ type: 'subscribed', id: message.id });
  }

  async function reauthenticate(nextToken: string): Promise<void> {
    const next = await authenticate(`Bearer ${nextToken}`);
    if (!next) return fail('UNAUTHENTICATED', 'the token is unknown, expired or revoked; the previous one stays in use');
    if (next.tenantId !== tenantId) return fail('UNAUTHENTICATED', 'the token belongs to another tenant; open a new connection for it');
    principal = next;
    token = nextToken;
    send({ type: 'authenticated' });
  }

  return {
    tenantId,
    principal: () => principal,

    /** Handles one text message from the client. */
    async receive(text: string): Promise<void> {
      const message = parse(text);
      if (!message) return;
      if (message.type === 'subscribe') return subscribe(message);
      if (message.type === 'auth') return reauthenticate(message.token);
      if (!subscriptions.has(message.id)) return fail('UNKNOWN_SUBSCRIPTION', `no subscription ${message.id}`, message.id);
      forget(message.id);
      send({ type: 'unsubscribed', id: message.id });
    },

    /** Sends an event to every subscription it matches. */
    deliver<Name extends keyof LiveEvents>(name: Name, event: LiveEvents[Name]): void {
      for (const subscription of subscriptions.values()) {
        if (!subscription.events.has(name)) continue;
        const deviceLabels = subscription.requirements ? labels.labelsOf(tenantId, event.deviceId) : undefined;
        if (!matchesDevice(subscription, event.deviceId, deviceLabels)) continue;
        const message = toMessage(name, event, subscription);
        if (message) send(message);
      }
    },

    /** True while the connection's token still authenticates (checked now and then). */
    async isStillAuthenticated(): Promise<boolean> {
      const current = await authenticate(`Bearer ${token}`);
      if (current) principal = current;
      return current !== null && current.tenantId === tenantId;
    },

    /** Ends every subscription. */
    close(): void {
      for (const id of [...subscriptions.keys()]) forget(id);
      sender.close();
    },
  };
}

/** The message of an event for a subscription; null when a telemetry event has none of its keys. */
function toMessage<Name extends keyof LiveEvents>(name: Name, event: LiveEvents[Name], subscription: LiveSubscription): LiveServerMessage | null {
  const base = { subscription: subscription.id, deviceId: event.deviceId };
  if (name === 'presence') {
    const { online, at } = event as LiveEvents['presence'];
    return { type: 'presence', ...base, online, at };
  }
  if (name === 'deviceEvent') {
    const { kind, at, data, level, message, source } = event as LiveEvents['deviceEvent'];
    return { type: 'deviceEvent', ...base, kind, at, data, level: level ?? levelOfServerEvent(kind), message: message ?? messageOfServerEvent(data), source: source ?? 'server' };
  }
  if (name === 'command') {
    const { commandId, name: commandName, status, at, error } = event as LiveEvents['command'];
    return { type: 'command', ...base, commandId, name: commandName, status, at, error };
  }
  const points = selectPoints(subscription, (event as LiveEvents['telemetry']).points);
  return points.length > 0 ? { type: 'telemetry', ...base, points } : null;
}

/** One live client. */
export type LiveConnection = ReturnType<typeof createLiveConnection>;
