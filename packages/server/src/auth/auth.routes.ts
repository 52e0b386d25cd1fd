import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { LoginBody, MeSchema, RefreshBody, SessionSchema, SetupBody, SetupStatusReply } from './auth.schemas.js';
import type { AuthService } from './auth.service.js';

interface Dependencies {
  auth: AuthService;
  config: Pick<Config, 'loginRateLimitPerMinute'>;
}

/** First-run setup, login, refresh, logout and `GET /me`. */
export function authRoutes({ auth, config }: Dependencies): FastifyPluginAsyncTypebox {
  return async (app) => {
    // createRateLimit, not app.rateLimit: the handlers app.rateLimit makes share one "already ran"
    // flag per request, so the per-account limit after the per-address one would never count.
    const limit = (keyGenerator: (request: FastifyRequest) => string) => {
      const check = app.createRateLimit({ max: config.loginRateLimitPerMinute, timeWindow: 60_000, keyGenerator });
      return async (request: FastifyRequest): Promise<void> => {
        const result = await check(request);
        if (result.isAllowed || !result.isExceeded) return;
        const seconds = String(result.ttlInSeconds);
        throw new AppError('RATE_LIMITED', `too many sign-in attempts; try again in ${seconds} s`, undefined, { 'retry-after': seconds });
      };
    };
    const perAddress = limit((request) => `login-ip:${request.ip}`);
    const perAccount = limit((request) => `login-account:${String((request.body as { email?: string })?.email ?? '').toLowerCase()}`);

    app.get(
      '/setup',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Is first-run setup pending?', response: { 200: SetupStatusReply } } },
      async () => ({ pending: await auth.isSetupPending() }),
    );

    app.post(
      '/setup',
      {
        config: { access: 'public', audit: 'setup.complete' },
        onRequest: perAddress,
        schema: { tags: ['auth'], summary: 'Create the first tenant and admin with the setup token', body: SetupBody, response: { 201: SessionSchema } },
      },
      async (request, reply) => {
        const session = await auth.completeSetup(request.body);
        request.audit = { tenantId: session.user.tenantId, actorType: 'user', actorId: session.user.id, targetType: 'user', targetId: session.user.id };
        return reply.status(201).send(session);
      },
    );

    app.post(
      '/auth/login',
      {
        config: { access: 'public', audit: 'auth.login' },
        onRequest: perAddress,
        preHandler: perAccount,
        schema: { tags: ['auth'], summary: 'Sign in with email and password', body: LoginBody, response: { 200: SessionSchema } },
      },
      async (request) => {
        // A failed sign-in lands in the audit log of the account's tenant, where its admins see it.
        const account = await auth.accountOf(request.body.email);
        const accountId = account?.userId ?? null;
        request.audit = { tenantId: account?.tenantId ?? null, actorType: 'user', actorId: accountId, targetType: 'user', targetId: accountId, detail: { email: request.body.email } };
        const { session, user } = await auth.login(request.body.email, request.body.password);
        request.audit = { tenantId: user.tenant_id, actorType: 'user', actorId: user.id, targetType: 'user', targetId: user.id };
        return session;
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { access: 'public', audit: 'auth.refresh' },
        schema: { tags: ['auth'], summary: 'Swap a refresh token for a new session', body: RefreshBody, response: { 200: SessionSchema } },
      },
      async (request) => {
        const session = await auth.refresh(request.body.refreshToken);
        request.audit = { tenantId: session.user.tenantId, actorType: 'user', actorId: session.user.id, targetType: 'user', targetId: session.user.id };
        return session;
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: 'public', audit: 'auth.logout' },
        schema: { tags: ['auth'], summary: 'End a session', body: RefreshBody, response: { 204: { type: 'null' } } },
      },
      async (request, reply) => {
        const ended = await auth.logout(request.body.refreshToken);
        request.audit = { tenantId: ended?.tenantId ?? null, actorType: 'user', actorId: ended?.userId ?? null, targetType: 'session', targetId: null };
        return reply.status(204).send();
      },
    );

    app.get(
      '/me',
      { config: { access: 'viewer' }, schema: { tags: ['auth'], summary: 'Who am I?', response: { 200: MeSchema } } },
      async (request) => auth.me(request.principal!),
    );
  };
}
