import {
  DeviceEventsAcceptedSchema,
  DeviceEventsBodySchema,
  DeviceEventsQuerySchema,
  EventPageSchema,
  EventsQuerySchema,
  ProblemSchema,
} from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';
import { ResourceId } from '../devices/devices.schemas.js';

/** `:id` of a device. */
export const IdParams = Type.Object({ id: ResourceId }, { additionalProperties: false });

/**
 * `POST /device/events`: checked by the service rather than by Fastify, so that a refusal names
 * the bad field (`body/2/level`) and is told to the device's owner like an MQTT one.
 */
export const DeviceEventsBody = Type.Unknown({
  description: 'One event {"kind":"app.crashed","level":"error","message":"…","ts":1700000000000,"data":{…}} or an array of at most 100; see DeviceEventInput',
});

/** Problem answers every events route may give. */
export const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

/** Protocol schemas the routes use, so the routes import every schema from here. */
export { DeviceEventsAcceptedSchema, DeviceEventsBodySchema, DeviceEventsQuerySchema, EventPageSchema, EventsQuerySchema, ProblemSchema };
