import { PageQuerySchema, PageSchema, ROLES, UserSchema, type Role } from '@flotilla/protocol';
import { Type, type Static } from '@sinclair/typebox';
import { Email, Password } from '../auth/auth.schemas.js';

/** Ids are generated (`usr_…`); the pattern only keeps odd bytes away from the database. */
export const UserId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'User id' });

/**
 * A role as input. An enum rather than the protocol's union of literals, so a bad value answers
 * one error, "must be one of viewer, operator, admin", instead of one per literal.
 */
export const RoleInput = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES], description: 'viewer, operator or admin' });

const UserName = Type.String({ minLength: 1, maxLength: 200, description: 'Display name' });

export const UserIdParams = Type.Object({ id: UserId }, { additionalProperties: false });

export const UserListQuery = Type.Composite([PageQuerySchema], { additionalProperties: false });
export type UserListQuery = Static<typeof UserListQuery>;

export const UserListReply = PageSchema(UserSchema);

export const CreateUserBody = Type.Object(
  { email: Email, password: Password, name: Type.Optional(UserName), role: RoleInput },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const PatchUserBody = Type.Object(
  {
    name: Type.Optional(UserName),
    role: Type.Optional(RoleInput),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean({ description: 'A disabled user cannot sign in and their sessions end' })),
  },
  { additionalProperties: false },
);
export type PatchUserBody = Static<typeof PatchUserBody>;

export { UserSchema };
