/**
 * The live stream (`GET /api/v1/live`, WebSocket): JSON messages a client sends and the server
 * answers with. A client subscribes to events of its tenant's devices, narrowed by device ids,
 * a label selector and telemetry keys; each event it receives names the subscription.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { CommandStatus } from './commands.js';
import type { EventLevel, EventSource } from './events.js';
import type { TelemetryPoint } from './telemetry.js';

/** The kinds of event a subscription can ask for. */
export const LIVE_EVENTS = ['telemetry', 'presence', 'deviceEvent', 'command'] as const;
export type LiveEventName = (typeof LIVE_EVENTS)[number];

/** Subscriptions one connection may hold at once. */
export const LIVE_MAX_SUBSCRIPTIONS = 32;

/** `subscribe`: starts (or replaces) the subscription `id`. */
export const LiveSubscribeSchema = Type.Object(
  {
    type: Type.Literal('subscribe'),
    id: Type.String({ minLength: 1, maxLength: 64 }),
    devices: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })),
    selector: Type.Optional(Type.String({ maxLength: 1024 })),
    keys: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 256 })),
    events: Type.Optional(Type.Array(Type.Union(LIVE_EVENTS.map((name) => Type.Literal(name))), { minItems: 1, maxItems: LIVE_EVENTS.length })),
  },
  { additionalProperties: false },
);
export type LiveSubscribe = Static<typeof LiveSubscribeSchema>;

/** `unsubscribe`: ends the subscription `id`. */
export const LiveUnsubscribeSchema = Type.Object(
  { type: Type.Literal('unsubscribe'), id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type LiveUnsubscribe = Static<typeof LiveUnsubscribeSchema>;

/** `auth`: replaces the connection's token before it expires, without reconnecting. */
export const LiveAuthSchema = Type.Object({ type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false });
export type LiveAuth = Static<typeof LiveAuthSchema>;

/** Any message a client may send. */
export const LiveClientMessageSchema = Type.Union([LiveSubscribeSchema, LiveUnsubscribeSchema, LiveAuthSchema]);
export type LiveClientMessage = Static<typeof LiveClientMessageSchema>;

/** Messages the server sends. Events carry the id of the subscription they matched. */
export type LiveServerMessage =
  | { type: 'telemetry'; subscription: string; deviceId: string; points: TelemetryPoint[] }
  | { type: 'presence'; subscription: string; deviceId: string; online: boolean; at: number }
  /** `level`, `message` and `source` are as stored (GET /devices/{id}/events). */
  | { type: 'deviceEvent'; subscription: string; deviceId: string; kind: string; at: number; data: Record<string, unknown>; level?: EventLevel; message?: string; source?: EventSource }
  /** A command changed status; `error` says why a failed one failed. GET /commands/{id} has the output. */
  | { type: 'command'; subscription: string; deviceId: string; commandId: string; name: string; status: CommandStatus; at: number; error: string | null }
  | { type: 'subscribed'; id: string }
  | { type: 'unsubscribed'; id: string }
  | { type: 'authenticated' }
  | { type: 'notice'; message: string; dropped?: number }
  | { type: 'error'; code: LiveErrorCode; message: string; id?: string };

/** Why the server refused a client message; the connection stays open. */
export type LiveErrorCode = 'INVALID_MESSAGE' | 'INVALID_SELECTOR' | 'TOO_MANY_SUBSCRIPTIONS' | 'UNKNOWN_SUBSCRIPTION' | 'UNAUTHENTICATED';
