/**
 * HTTP Basic authentication of a device (`deviceId:secret`) on device routes. The secret itself
 * is checked by the devices feature (`devicesService.authenticateDevice`).
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** A device that proved who it is. */
export interface AuthenticatedDevice {
  id: string;
  tenantId: string;
}

/** Checks a device's id and secret; null when wrong. */
export type DeviceAuthenticator = (id: string, secret: string) => Promise<AuthenticatedDevice | null>;

/** Splits `Basic base64(id:secret)`; null when the header is missing or not Basic. */
export function parseBasicAuthorization(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The error a device gets for missing or wrong credentials. */
export function deviceAuthFailed(): AppError {
  return new AppError('DEVICE_AUTH_FAILED', 'send Authorization: Basic base64(deviceId:secret)', undefined, {
    'www-authenticate': 'Basic realm="flotilla-device", charset="UTF-8"',
  });
}

/**
 * The `onRequest` hook of a device route, and how its handler finds the device. Credentials
 * are checked before the body is read, so strangers cannot make the server parse it.
 */
export function deviceRouteAuthentication(authenticateDevice: DeviceAuthenticator) {
  const devices = new WeakMap<FastifyRequest, AuthenticatedDevice>();
  return {
    async onRequest(request: FastifyRequest): Promise<void> {
      const credentials = parseBasicAuthorization(request.headers.authorization);
      const device = credentials ? await authenticateDevice(credentials.id, credentials.secret) : null;
      if (!device) throw deviceAuthFailed();
      devices.set(request, device);
    },
    /** The device the hook authenticated. */
    deviceOf(request: FastifyRequest): AuthenticatedDevice {
      const device = devices.get(request);
      if (!device) throw deviceAuthFailed();
      return device;
    },
  };
}
