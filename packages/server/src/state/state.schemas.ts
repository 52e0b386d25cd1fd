import { PageQuerySchema, ProblemSchema } from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';
import { DeviceIdParams, ResourceId } from '../devices/devices.schemas.js';

export {
  DesiredStateMessageSchema,
  DeviceStateSchema,
  PatchDeviceStateBodySchema,
  ProfileInputSchema,
  ProfilePageSchema,
  ProfilePatchSchema,
  ProfilePreviewBodySchema,
  ProfilePreviewSchema,
  ProfileSchema,
  PutDeviceStateBodySchema,
  ReportedAcceptedSchema,
  RevisionPreconditionHeadersSchema,
  StateDiffQuerySchema,
  StateDiffSchema,
  StateDriftPageSchema,
  StateDriftQuerySchema,
  StateRevertBodySchema,
  StateRevisionPageSchema,
} from '@flotilla/protocol';

export { DeviceIdParams };

export const ProfileIdParams = Type.Object({ id: ResourceId }, { additionalProperties: false });

/** A page of a list (revisions, profiles). */
export const PageQuery = Type.Composite([PageQuerySchema], { additionalProperties: false });

/** `DELETE /profiles/{id}?message=`. */
export const DeleteProfileQuery = Type.Object({ message: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false });

/** A device's report: a JSON merge patch of its reported document. */
export const DeviceReportBody = Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch (RFC 7386) of the reported document; `applied` is AppliedState' });

/** Error answers of the state routes. */
export const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 412: ProblemSchema, 413: ProblemSchema };
