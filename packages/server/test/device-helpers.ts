/**
 * Shortcuts of the device, enrollment and claim tests: users of a role created through the
 * store, and devices created through the API.
 */
import assert from 'node:assert/strict';
import type { Device, Labels, Role, Session } from '@flotilla/protocol';
import type { LightMyRequestResponse } from 'fastify';
import { hashPassword } from '../src/auth/passwords.js';
import { newId } from '../src/store/ids.js';
import { createUsersRepository } from '../src/users/users.repository.js';
import type { TestApp } from './helpers.js';

let userCounter = 0;

/**
 * A signed-in user of the admin's tenant with the given role. Made through the store, so these
 * tests do not depend on the /users routes.
 */
export async function signInWithRole(t: TestApp, admin: Session, role: Role): Promise<Session> {
  const email = `${role}-${++userCounter}-${Date.now()}@example.com`;
  const password = 'a role password';
  const now = Date.now();
  await createUsersRepository(t.store.db).insertUser({
    id: newId('usr'),
    tenant_id: admin.user.tenantId,
    email,
    name: role,
    role,
    password_hash: await hashPassword(password),
    disabled: 0,
    created_at: now,
    updated_at: now,
  });
  const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  assert.equal(login.statusCode, 200, login.body);
  return login.json<Session>();
}

/** Creates a device through the API and returns it with its secret. */
export async function createDevice(
  t: TestApp,
  session: Session,
  body: { name: string; labels?: Labels; metadata?: Record<string, unknown> },
): Promise<{ device: Device; secret: string }> {
  const response = await t.request({ method: 'POST', url: '/api/v1/devices', token: session.accessToken, payload: body });
  assert.equal(response.statusCode, 201, response.body);
  return response.json();
}

/** Asserts a problem+json answer with the status and code. */
export function assertProblem(response: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(response.json().code, code, response.body);
}
