import { ApiTokenSchema, PageQuerySchema, PageSchema } from '@flotilla/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { RoleInput } from '../users/users.schemas.js';

/** Ten years: long enough for any integration, short enough that the expiry stays a real date. */
const MAX_EXPIRES_IN_SECONDS = 10 * 365 * 24 * 3600;

export const TokenIdParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'API token id' }) },
  { additionalProperties: false },
);

export const TokenListQuery = Type.Composite([PageQuerySchema], { additionalProperties: false });
export type TokenListQuery = Static<typeof TokenListQuery>;

export const TokenListReply = PageSchema(ApiTokenSchema);

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'What the token is for, e.g. "CI deploys"' }),
    role: RoleInput,
    expiresInSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_EXPIRES_IN_SECONDS, description: 'Lifetime in seconds; the token never expires when absent' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const CreatedTokenSchema = Type.Composite([
  ApiTokenSchema,
  Type.Object({ token: Type.String({ description: 'The token (`flt_…`), shown only here; send it as `Authorization: Bearer`' }) }),
]);
export type CreatedToken = Static<typeof CreatedTokenSchema>;

export { ApiTokenSchema };
