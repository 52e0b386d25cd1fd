import { DEVICE_NAME_PATTERN, DeviceNameSchema, EnrolledDeviceSchema, EnrollmentTokenSchema, LabelsSchema, PageQuerySchema, PageSchema } from '@flotilla/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { ResourceId } from '../devices/devices.schemas.js';

/** Seven days: long enough to set up a batch of devices, short enough that a lost token expires. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;

export const EnrollmentTokenIdParams = Type.Object({ id: ResourceId }, { additionalProperties: false });

export const EnrollmentTokenListQuery = Type.Composite([PageQuerySchema], { additionalProperties: false });

export const EnrollmentTokenListReply = PageSchema(EnrollmentTokenSchema);

export const CreateEnrollmentTokenBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]*$', description: 'What the token is for' })),
    labels: Type.Optional(LabelsSchema),
    expiresInSeconds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: TEN_YEARS_SECONDS }), Type.Null()], {
        description: 'Lifetime in seconds (default 7 days); null for a token that never expires',
      }),
    ),
    maxUses: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()], { description: 'How many devices may enroll with it; null (default) for any number' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateEnrollmentTokenBody = Static<typeof CreateEnrollmentTokenBody>;

export const CreatedEnrollmentTokenReply = Type.Composite([
  EnrollmentTokenSchema,
  Type.Object({ token: Type.String({ description: 'The token (`fle_…`), shown only here' }) }),
]);


/** `{token, name?}` or `{claimCode, name?}`: exactly one way in. */
export const EnrollBody = Type.Union(
  [
    Type.Object(
      {
        token: Type.String({ minLength: 1, maxLength: 512, description: 'An enrollment token (`fle_…`)' }),
        // Without a name the device is called `device-<short id>`; a taken name gets `-2`, `-3`…
        name: Type.Optional(DeviceNameSchema),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        claimCode: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z -]+$', description: 'The claim code printed on the device' }),
        name: Type.Optional(
          Type.String({
            pattern: DEVICE_NAME_PATTERN,
            maxLength: 128,
            description: 'A device name, used only while the device is unclaimed: an owner who claimed it has named it',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Enroll with an enrollment token or with the claim code printed on the device' },
);
export type EnrollBody = Static<typeof EnrollBody>;

export { EnrolledDeviceSchema, EnrollmentTokenSchema };
