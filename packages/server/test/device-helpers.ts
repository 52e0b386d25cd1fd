/** Shortcuts of the device, enrollment and claim tests. */
import assert from 'node:assert/strict';
import type { Device, Labels, Session } from '@flotilla/protocol';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './helpers.js';

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
