import { ClaimCodeSchema, DeviceNameSchema, DeviceSchema, LabelsSchema, PageQuerySchema, PageSchema } from '@flotilla/protocol';
import { Type, type Static } from '@sinclair/typebox';

/** The most claim codes (and devices) one request makes. */
export const MAX_CLAIM_CODES_PER_REQUEST = 1000;

export const CreateClaimCodesBody = Type.Object(
  {
    count: Type.Integer({ minimum: 1, maximum: MAX_CLAIM_CODES_PER_REQUEST, description: 'How many devices and codes to make' }),
    namePrefix: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9](?:[A-Za-z0-9._ -]{0,98}[A-Za-z0-9._-])?$',
        maxLength: 100,
        description: 'Devices are named `<prefix>-<n>`, numbered on from the highest existing one (default "device")',
      }),
    ),
    labels: Type.Optional(LabelsSchema),
  },
  { additionalProperties: false },
);
export type CreateClaimCodesBody = Static<typeof CreateClaimCodesBody>;

export const CreatedClaimCodesReply = Type.Object({
  items: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      claimCode: Type.String({ description: 'Print it on the device; it is shown only here' }),
    }),
  ),
});

export const ClaimCodeListQuery = Type.Composite([PageQuerySchema], { additionalProperties: false });

export const ClaimCodeListReply = PageSchema(ClaimCodeSchema);

export const ClaimBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z -]+$', description: 'The claim code; case, dashes and spaces do not matter' }),
    name: Type.Optional(DeviceNameSchema),
    // Added to (and overriding) the labels the maker gave the device.
    labels: Type.Optional(LabelsSchema),
  },
  { additionalProperties: false },
);
export type ClaimBody = Static<typeof ClaimBody>;

export { DeviceSchema };
