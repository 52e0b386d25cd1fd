import { AuditEntrySchema, PageQuerySchema, PageSchema } from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';

export const AuditListQuery = Type.Composite(
  [
    PageQuerySchema,
    Type.Object({
      action: Type.Optional(Type.String({ maxLength: 100, description: 'e.g. device.create' })),
      actorId: Type.Optional(Type.String({ maxLength: 100 })),
      targetId: Type.Optional(Type.String({ maxLength: 100 })),
      outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
    }),
  ],
  { additionalProperties: false },
);

export const AuditListReply = PageSchema(
  Type.Composite([AuditEntrySchema, Type.Object({ detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]) })]),
);
