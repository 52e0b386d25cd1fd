import {
  BulkCommandBodySchema,
  BulkCommandReplySchema,
  CommandPageSchema,
  CommandResultReplySchema,
  CommandResultSchema,
  CommandSchema,
  CommandsQuerySchema,
  DeviceCommandPollQuerySchema,
  DeviceCommandPollReplySchema,
  DeviceCommandsQuerySchema,
  ProblemSchema,
  SendCommandBodySchema,
} from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';
import { ResourceId } from '../devices/devices.schemas.js';

/** `:id` of a device or of a command. */
export const IdParams = Type.Object({ id: ResourceId }, { additionalProperties: false });

/** Problem answers every commands route may give. */
export const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

/** Protocol schemas the routes use, so the routes import every schema from here. */
export {
  BulkCommandBodySchema,
  BulkCommandReplySchema,
  CommandPageSchema,
  CommandResultReplySchema,
  CommandResultSchema,
  CommandSchema,
  CommandsQuerySchema,
  DeviceCommandPollQuerySchema,
  DeviceCommandPollReplySchema,
  DeviceCommandsQuerySchema,
  ProblemSchema,
  SendCommandBodySchema,
};
