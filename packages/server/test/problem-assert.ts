/** Assertions on problem+json answers, shared by the auth, users and tokens tests. */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

/** Asserts an error answer: its status, its stable code, and that it is problem+json. */
export function assertProblem(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json<{ code: string; status: number; detail: string }>();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(typeof body.detail, 'string');
}

/** Asserts a 400 VALIDATION_FAILED whose field list names `field` (e.g. `body/email`). */
export function assertFieldRefused(response: LightMyRequestResponse, field: string): void {
  assertProblem(response, 400, 'VALIDATION_FAILED');
  const fields = (response.json<{ errors?: { field: string }[] }>().errors ?? []).map((error) => error.field);
  assert.ok(fields.includes(field), `expected ${field} among refused fields ${JSON.stringify(fields)}`);
}
