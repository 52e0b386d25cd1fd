import { MeSchema, SessionSchema } from '@flotilla/protocol';
import { Type } from '@sinclair/typebox';

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address, used to sign in' });
export const Password = Type.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters' });

export const SetupStatusReply = Type.Object({ pending: Type.Boolean() });

export const SetupBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 512, description: 'The setup token printed at first start' }),
    email: Email,
    password: Password,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tenantName: Type.String({ minLength: 1, maxLength: 200, description: 'Name of the first tenant (organisation)' }),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });

export { MeSchema, SessionSchema };
