/**
 * Turns every error into `application/problem+json` (RFC 9457) with a stable code: our own
 * AppErrors, Fastify's validation and parsing errors, and anything unexpected (logged, 500).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, appError, type FieldError } from '../errors.js';

/** Installs the error handler; call it before any route plugin is registered, so all inherit it. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toAppError(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem, request.url);
  });
}

/** Installs the not-found handler. `fallback` serves non-API paths (the dashboard). */
export function installNotFoundHandler(
  app: FastifyInstance,
  fallback?: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url.startsWith('/api/') || request.url === '/api';
    if (!isApi && fallback && (request.method === 'GET' || request.method === 'HEAD')) return fallback(request, reply);
    return sendProblem(reply, appError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`), request.url);
  });
}

/** Sends an AppError as problem+json. */
export function sendProblem(reply: FastifyReply, problem: AppError, instance?: string): FastifyReply {
  if (problem.headers) reply.headers(problem.headers);
  return reply
    .status(problem.status)
    .type('application/problem+json')
    .send({
      type: `urn:flotilla:error:${problem.code}`,
      title: problem.title,
      status: problem.status,
      code: problem.code,
      detail: problem.detail,
      ...(instance ? { instance: instance.split('?')[0] } : {}),
      ...(problem.fieldErrors ? { errors: problem.fieldErrors } : {}),
    });
}

function toAppError(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) return validationError(error);
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return appError('MALFORMED_BODY', `the body is not valid JSON: ${error.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return appError('PAYLOAD_TOO_LARGE', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return appError('UNSUPPORTED_MEDIA_TYPE', error.message);
  }
  if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) {
    return appError('MALFORMED_BODY', `the body is not valid JSON: ${error.message}`);
  }
  if (error.statusCode === 429) return appError('RATE_LIMITED', error.message);
  if (error.statusCode === 413) return appError('PAYLOAD_TOO_LARGE', error.message);
  if (error.statusCode === 415) return appError('UNSUPPORTED_MEDIA_TYPE', error.message);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return appError('VALIDATION_FAILED', error.message);
  }
  return appError('INTERNAL', 'the server failed to answer; the error is in its log');
}

function validationError(error: FastifyError): AppError {
  return validationProblem(error.validationContext ?? 'request', error.validation ?? [], error.message);
}

/** One issue of a JSON Schema validator (ajv's ErrorObject, as Fastify passes it on). */
interface SchemaIssue {
  keyword: string;
  instancePath: string;
  params: object;
  message?: string;
}

/**
 * VALIDATION_FAILED naming each refused field under `part` (`body`, `body/params`, …): the one
 * translation of schema issues, for routes and for documents checked inside a service.
 */
export function validationProblem(part: string, issues: readonly SchemaIssue[], fallback = 'the request is invalid'): AppError {
  const fields: FieldError[] = issues.map((issue) => {
    const params = issue.params as Record<string, unknown>;
    let path = issue.instancePath;
    let message = issue.message ?? 'is invalid';
    if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = `${path}/${params.additionalProperty}`;
      message = 'is not a known field';
    } else if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = `${path}/${params.missingProperty}`;
      message = 'is required';
    } else if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.join(', ')}`;
    }
    return { field: `${part}${path}`, message };
  });
  const detail = fields.map((field) => `${field.field} ${field.message}`).join('; ') || fallback;
  return appError('VALIDATION_FAILED', detail, fields);
}
