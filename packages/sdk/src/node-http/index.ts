/**
 * `@flotilla/sdk/node-http`: the SDK's HTTP requests over node:http and node:https, for Node
 * programs that mind their memory (the agent). Loading Node's global `fetch` (undici and its
 * WebAssembly parser) adds about 12 MB to a process; this does the little the SDK asks of it.
 *
 *   const client = await connectDevice({ serverUrl, deviceId, secret, fetch: nodeHttpFetch });
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchFunction } from '../http-request.js';

/** A `fetch` for the SDK: string bodies, answers read as text, aborts through the signal. */
export const nodeHttpFetch: FetchFunction = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    if (init.signal?.aborted) return reject(init.signal.reason);
    const request = send(target, { method: init.method, headers: init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) } });
    const onAbort = () => request.destroy(init.signal?.reason as Error);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => {
      init.signal?.removeEventListener('abort', onAbort);
      // An abort is reported as the signal's reason (TimeoutError, AbortError), as fetch does.
      reject(init.signal?.aborted ? init.signal.reason : error);
    });
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(init.signal?.aborted ? init.signal.reason : error));
      response.on('end', () => {
        init.signal?.removeEventListener('abort', onAbort);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          statusText: response.statusMessage ?? '',
          headers: { get: (name) => [response.headers[name.toLowerCase()]].flat()[0] ?? null },
          text: async () => text,
        });
      });
    });
    request.end(init.body);
  });
