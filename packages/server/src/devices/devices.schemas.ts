import {
  DeviceNameSchema,
  DeviceSchema,
  LabelsPatchSchema,
  LabelsSchema,
  MetadataPatchSchema,
  MetadataSchema,
  PageQuerySchema,
  PageSchema,
} from '@flotilla/protocol';
import { Type, type Static } from '@sinclair/typebox';

/** Ids are generated (`dev_…`); the pattern only keeps odd bytes away from the database. */
export const ResourceId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Resource id' });

export const DeviceIdParams = Type.Object({ id: ResourceId }, { additionalProperties: false });

/** Columns the device list sorts by; `-` in front sorts descending. */
export const DEVICE_SORTS = ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'lastSeenAt', '-lastSeenAt'] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];

export const DeviceListQuery = Type.Composite(
  [
    PageQuerySchema,
    Type.Object({
      selector: Type.Optional(
        Type.String({ maxLength: 2048, description: 'Label selector, e.g. `site=oslo,role!=gateway,tier in (a,b),!retired`' }),
      ),
      q: Type.Optional(
        // Control characters cannot be part of a name, and NUL would upset PostgreSQL.
        Type.String({ maxLength: 128, pattern: '^[^\\u0000-\\u001f]*$', description: 'Case-insensitive search in the name' }),
      ),
      drift: Type.Optional(Type.Boolean({ description: 'true: only devices in drift (desired version not applied, or apply failed); false: only devices not in drift' })),
      sort: Type.Optional(
        Type.Union(
          DEVICE_SORTS.map((sort) => Type.Literal(sort)),
          {
            default: 'name',
            description: 'Sort column, `-` in front for descending. Ties are broken by id; devices never seen sort last for lastSeenAt either way.',
          },
        ),
      ),
    }),
  ],
  { additionalProperties: false },
);
export type DeviceListQuery = Static<typeof DeviceListQuery>;

export const DeviceListReply = PageSchema(DeviceSchema);

export const CreateDeviceBody = Type.Object(
  { name: DeviceNameSchema, labels: Type.Optional(LabelsSchema), metadata: Type.Optional(MetadataSchema) },
  { additionalProperties: false },
);
export type CreateDeviceBody = Static<typeof CreateDeviceBody>;

export const CreateDeviceReply = Type.Object({
  device: DeviceSchema,
  secret: Type.String({ description: 'The device secret (`fld_…`), shown only here' }),
});

export const PatchDeviceBody = Type.Object(
  {
    name: Type.Optional(DeviceNameSchema),
    labels: Type.Optional(LabelsPatchSchema),
    metadata: Type.Optional(MetadataPatchSchema),
  },
  { additionalProperties: false },
);
export type PatchDeviceBody = Static<typeof PatchDeviceBody>;

export const SecretReply = Type.Object({ secret: Type.String({ description: 'The new device secret, shown only here' }) });

export { DeviceSchema };
