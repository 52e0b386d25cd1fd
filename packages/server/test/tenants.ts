import type { Session } from '@flotilla/protocol';
import { hashPassword } from '../src/auth/passwords.js';
import { newId } from '../src/store/ids.js';
import { createUsersRepository } from '../src/users/users.repository.js';
import type { TestApp } from './helpers.js';

/** Creates another tenant with an admin directly in the store and signs that admin in. */
export async function createSecondTenant(testApp: TestApp, email = 'other-admin@example.org'): Promise<Session> {
  const users = createUsersRepository(testApp.store.db);
  const now = Date.now();
  const tenantId = newId('ten');
  const password = 'other tenant password';
  await users.insertTenant({ id: tenantId, name: 'Other Corp', created_at: now });
  await users.insertUser({
    id: newId('usr'),
    tenant_id: tenantId,
    email,
    name: 'Other Admin',
    role: 'admin',
    password_hash: await hashPassword(password),
    disabled: 0,
    created_at: now,
    updated_at: now,
  });
  const login = await testApp.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login of second tenant failed: ${login.body}`);
  return login.json<Session>();
}
