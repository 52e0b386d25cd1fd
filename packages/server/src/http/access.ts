/**
 * Access control and the audit trail, declared beside each route:
 *
 *   app.post('/devices', { config: { access: 'operator', audit: 'device.create' }, schema }, handler)
 *
 * Every /api/v1 route must declare `access`; every mutating one must also name its `audit`
 * action (or say `audit: false`). Both are checked when the route is registered, so a route
 * cannot forget them.
 */
import { roleAtLeast } from '@flotilla/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditService } from '../audit/audit.service.js';
import type { Access, Principal } from '../auth/principal.js';
import { appError } from '../errors.js';

/** What a handler may add to the audit entry of its request. */
export interface AuditContext {
  tenantId?: string | null;
  actorType?: string;
  actorId?: string | null;
  targetType?: string;
  targetId?: string | null;
  detail?: Record<string, unknown>;
  /** True when the request changes nothing and leaves no entry (a dry run). */
  isSkipped?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /**
     * The audit action of a mutating route, or `false` for the few POSTs that change nothing a
     * person did (queries sent as a body) or that carry device data at fleet rate (telemetry),
     * which metrics count instead.
     */
    audit?: string | false;
  }
  interface FastifyRequest {
    principal: Principal | null;
    audit: AuditContext;
  }
}

/** Turns an Authorization header into a principal, or null when it carries none. */
export type Authenticate = (authorization: string | undefined) => Promise<Principal | null>;

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Installs the registration checks and the authentication, authorisation and audit hooks. */
export function installAccessControl(app: FastifyInstance, authenticate: Authenticate, audit: AuditService): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('audit', null as unknown as AuditContext);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const where = `${methods.join(',')} ${route.url}`;
    if (!route.config?.access) throw new Error(`route ${where} declares no access`);
    if (methods.some((method) => mutating.has(method)) && route.config.audit === undefined) {
      throw new Error(`mutating route ${where} declares no audit action`);
    }
  });

  app.addHook('onRequest', async (request) => {
    request.audit = {};
    const access = request.routeOptions.config.access;
    if (!access || access === 'public' || access === 'device') return;
    const principal = await authenticate(request.headers.authorization);
    if (!principal) throw appError('UNAUTHENTICATED', 'send Authorization: Bearer <access token or API token>');
    request.principal = principal;
    if (!roleAtLeast(principal.role, access)) {
      throw appError('FORBIDDEN', `this needs the ${access} role; you have ${principal.role}`);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const action = request.routeOptions.config.audit;
    if (!action || !mutating.has(request.method) || request.audit?.isSkipped === true) return payload;
    await audit.record(describe(request, action, reply.statusCode));
    return payload;
  });
}

function describe(request: FastifyRequest, action: string, status: number) {
  const context = request.audit ?? {};
  const principal = request.principal;
  const params = (request.params ?? {}) as Record<string, unknown>;
  return {
    tenantId: context.tenantId !== undefined ? context.tenantId : (principal?.tenantId ?? null),
    actorType: context.actorType ?? (principal ? (principal.kind === 'token' ? 'token' : 'user') : 'anonymous'),
    actorId: context.actorId !== undefined ? context.actorId : (principal ? (principal.tokenId ?? principal.userId) : null),
    action,
    targetType: context.targetType ?? action.split('.')[0] ?? null,
    targetId: context.targetId !== undefined ? context.targetId : typeof params.id === 'string' ? params.id : null,
    outcome: status < 400 ? ('success' as const) : ('failure' as const),
    status,
    ip: request.ip ?? null,
    detail: context.detail ?? null,
  };
}
