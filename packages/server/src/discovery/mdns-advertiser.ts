/**
 * Announces the server on the local network by mDNS / DNS-SD (RFC 6762, RFC 6763) as a
 * `_flotilla._tcp` service, so agents and the SDK's discoverServer() find it without an address.
 * The TXT record says where the API and the broker are:
 *
 *   path=/api/v1  mqtt=1883 (0: no TCP listener)  ws=/mqtt  tls=0|1  version=<server>  protocol=v1
 *
 * A failure to announce (no multicast route, port 5353 refused) is logged; the server runs on.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { TOPIC_ROOT } from '@flotilla/protocol';
import { Bonjour, type Service } from 'bonjour-service';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

/** The DNS-SD service type, without the leading underscore and protocol (bonjour-service adds them). */
export const MDNS_SERVICE_TYPE = 'flotilla';

const { version: SERVER_VERSION } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Where the server listens, known once it does. */
export interface AdvertisedEndpoints {
  httpPort: number;
  /** null when the MQTT TCP listener is off. */
  mqttPort: number | null;
  isTls: boolean;
}

/** The TXT record of the service. */
export function mdnsTxtRecord({ mqttPort, isTls }: AdvertisedEndpoints): Record<string, string> {
  return { path: '/api/v1', mqtt: String(mqttPort ?? 0), ws: '/mqtt', tls: isTls ? '1' : '0', version: SERVER_VERSION, protocol: TOPIC_ROOT.split('/')[1] as string };
}

/** Creates the advertiser; start() announces, stop() says goodbye (TTL 0) and closes the socket. */
export function createMdnsAdvertiser({ config, log }: { config: Pick<Config, 'mdnsName' | 'mdnsInterface'>; log: Logger }) {
  let bonjour: Bonjour | null = null;
  let service: Service | null = null;
  const name = config.mdnsName ?? `flotilla-${hostname().split('.')[0]}`;

  return {
    start(endpoints: AdvertisedEndpoints): void {
      if (bonjour) return;
      // Bound to every address so multicast to 224.0.0.251 arrives; sent on the chosen interface.
      const options = config.mdnsInterface ? { interface: config.mdnsInterface, bind: '0.0.0.0' } : {};
      // Its options go to multicast-dns, whatever the type says.
      bonjour = new Bonjour(options as ConstructorParameters<typeof Bonjour>[0], (error: unknown) => log.warn({ err: error }, 'mdns announcement failed'));
      service = bonjour.publish({ name, type: MDNS_SERVICE_TYPE, protocol: 'tcp', port: endpoints.httpPort, txt: mdnsTxtRecord(endpoints) });
      service.on('error', (error: unknown) => log.warn({ err: error, name }, 'mdns announcement failed'));
      log.info({ name, type: `_${MDNS_SERVICE_TYPE}._tcp`, port: endpoints.httpPort, interface: config.mdnsInterface ?? 'all' }, 'announcing on the local network');
    },
    async stop(): Promise<void> {
      const current = bonjour;
      if (!current) return;
      bonjour = null;
      await new Promise<void>((resolve) => {
        // Goodbye packets first, so browsers forget the server at once rather than after the TTL.
        const timer = setTimeout(resolve, 1000);
        current.unpublishAll(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      current.destroy();
      service = null;
    },
  };
}

/** An advertiser. */
export type MdnsAdvertiser = ReturnType<typeof createMdnsAdvertiser>;
