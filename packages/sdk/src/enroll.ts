/**
 * Enrollment: a device registers itself with an enrollment token (`fle_…`) or the claim code
 * printed on it, and gets its id and secret (`POST /api/v1/device/enroll`). The secret is shown
 * only in this answer: store it before doing anything else.
 *
 *   const { deviceId, secret } = await enroll({ serverUrl: 'http://flotilla.local:8080', token });
 */
import { EnrolledDeviceSchema, type EnrolledDevice } from '@flotilla/protocol';
import { brokerUrlOf } from './broker-address.js';
import { EnrollmentRefusedError, InvalidOptionsError, RequestFailedError, UnexpectedResponseError } from './errors.js';
import { apiRequest, normalizeServerUrl, type FetchFunction } from './http-request.js';
import { checkWith } from './schema-check.js';

/** Where and how to enroll: an enrollment token or a claim code. */
export type EnrollOptions = ({ serverUrl: string; token: string } | { serverUrl: string; claimCode: string }) & { timeoutMs?: number; fetch?: FetchFunction };

/** What may be sent along: the name the device asks for (a taken one gets `-2`, `-3`…). */
export interface EnrollExtra {
  name?: string;
}

/** The enrolled device: keep `deviceId` and `secret` for connectDevice. */
export interface EnrolledDeviceCredentials {
  deviceId: string;
  secret: string;
  name: string;
  serverUrl: string;
  /** The broker the server named in its answer (null from a server too old to say); connectDevice asks again when given no mqttUrl. */
  mqttUrl: string | null;
}

// The server's answers that mean "this token or code will not work", as opposed to "try later".
const REFUSAL_CODES = new Set(['ENROLLMENT_TOKEN_INVALID', 'CLAIM_CODE_INVALID', 'CLAIM_CODE_ALREADY_CLAIMED', 'CLAIM_CODE_ALREADY_ENROLLED', 'VALIDATION_FAILED']);
const isEnrolledDevice = checkWith<EnrolledDevice>(EnrolledDeviceSchema);

/** Enrolls the device; rejects with EnrollmentRefusedError, ServerUnreachableError or UnexpectedResponseError. */
export async function enroll(options: EnrollOptions, extra: EnrollExtra = {}): Promise<EnrolledDeviceCredentials> {
  const { serverUrl, body } = readEnrollOptions(options, extra);
  let answer: unknown;
  try {
    answer = await apiRequest(serverUrl, { method: 'POST', path: '/device/enroll', body: JSON.stringify(body), timeoutMs: options.timeoutMs ?? 30_000, ...(options.fetch ? { fetch: options.fetch } : {}) });
  } catch (error) {
    if (error instanceof RequestFailedError && (REFUSAL_CODES.has(error.serverCode ?? '') || (error.status >= 400 && error.status < 500 && error.status !== 429))) {
      throw new EnrollmentRefusedError(`enrollment refused: ${error.message.replace(/^.*?: /, '')}`, error.serverCode, error.status);
    }
    throw error;
  }
  if (!isEnrolledDevice(answer)) throw new UnexpectedResponseError(`${serverUrl} answered the enrollment without an id, secret and name`, 201);
  return { deviceId: answer.id, secret: answer.secret, name: answer.name, serverUrl, mqttUrl: answer.connection ? brokerUrlOf(serverUrl, answer.connection) : null };
}

/** Checks the options; throws InvalidOptionsError naming the wrong one. */
function readEnrollOptions(options: EnrollOptions, extra: EnrollExtra): { serverUrl: string; body: Record<string, string> } {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('enroll needs { serverUrl, token } or { serverUrl, claimCode }');
  let serverUrl: string;
  try {
    serverUrl = normalizeServerUrl(options.serverUrl);
  } catch (error) {
    throw new InvalidOptionsError(`serverUrl ${JSON.stringify(options.serverUrl)} is not a valid URL: ${(error as Error).message}`);
  }
  const hasToken = 'token' in options && options.token !== undefined;
  const hasClaimCode = 'claimCode' in options && options.claimCode !== undefined;
  if (hasToken === hasClaimCode) throw new InvalidOptionsError('enroll needs exactly one of token and claimCode');
  const body: Record<string, string> = {};
  if (hasToken) {
    const token = (options as { token: unknown }).token;
    if (typeof token !== 'string' || token.trim() === '') throw new InvalidOptionsError('token must be a non-empty string (an enrollment token, fle_…)');
    body.token = token.trim();
  } else {
    const claimCode = (options as { claimCode: unknown }).claimCode;
    if (typeof claimCode !== 'string' || claimCode.trim() === '') throw new InvalidOptionsError('claimCode must be a non-empty string');
    body.claimCode = claimCode.trim();
  }
  if (extra.name !== undefined) {
    if (typeof extra.name !== 'string' || extra.name === '') throw new InvalidOptionsError('name must be a non-empty string');
    body.name = extra.name;
  }
  return { serverUrl, body };
}
