/**
 * Finds Flotilla servers on the local network by mDNS / DNS-SD: browses `_flotilla._tcp` and
 * reads the TXT record each server announces (path, mqtt port, ws path, tls, version, protocol).
 * Node only (UDP multicast), hence its own entry point, `@flotilla/sdk/discovery`.
 *
 *   const { serverUrl, mqttUrl } = await discoverServer({ timeoutMs: 5000 });
 */
import { Bonjour, type Service } from 'bonjour-service';
import { InvalidOptionsError, NoServerFoundError } from '../errors.js';

/** The service type servers announce (`_flotilla._tcp`). */
export const FLOTILLA_SERVICE_TYPE = 'flotilla';

/** How to browse. */
export interface DiscoverOptions {
  /** How long to listen for answers (default 5000 ms). */
  timeoutMs?: number;
  /** IPv4 address of the network interface to browse on (default: the system's choice). */
  interface?: string;
  /** Only a server announced under this name. */
  name?: string;
}

/** A server found on the network, with the URLs to give connectDevice. */
export interface DiscoveredServer {
  /** The announced instance name (`flotilla-pi4`). */
  name: string;
  serverUrl: string;
  /** `mqtt(s)://…` when the broker's TCP port is open, else MQTT over WebSocket on the HTTP port. */
  mqttUrl: string;
  /** The server's version, and the device protocol generation it speaks (`v1`). */
  version: string | null;
  protocol: string | null;
  /** The address the answer came from, and the HTTP port. */
  host: string;
  port: number;
}

/** Resolves with the first server found; rejects with NoServerFoundError when none answers in time. */
export async function discoverServer(options: DiscoverOptions = {}): Promise<DiscoveredServer> {
  const [first] = await browse(options, true);
  if (!first) throw new NoServerFoundError(`no Flotilla server answered on the local network within ${options.timeoutMs ?? 5000} ms${options.interface ? ` (interface ${options.interface})` : ''}; check that it runs with FLOTILLA_MDNS on and that multicast passes`);
  return first;
}

/** Resolves with every server that answered within the timeout (possibly none). */
export async function discoverServers(options: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
  return browse(options, false);
}

function browse(options: DiscoverOptions, isFirstEnough: boolean): Promise<DiscoveredServer[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidOptionsError('timeoutMs must be a positive number');
  if (options.interface !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(options.interface)) throw new InvalidOptionsError(`interface ${JSON.stringify(options.interface)} must be an IPv4 address such as 192.168.1.10`);
  // Bound to every address so that multicast answers arrive; queries go out on the chosen interface.
  const bonjourOptions = options.interface ? { interface: options.interface, bind: '0.0.0.0' } : {};
  return new Promise((resolve) => {
    const found = new Map<string, DiscoveredServer>();
    const bonjour = new Bonjour(bonjourOptions as ConstructorParameters<typeof Bonjour>[0], () => finish());
    const browser = bonjour.find({ type: FLOTILLA_SERVICE_TYPE, protocol: 'tcp' }, (service: Service) => {
      const server = toDiscoveredServer(service);
      if (!server || (options.name !== undefined && server.name !== options.name)) return;
      found.set(server.name, server);
      if (isFirstEnough) finish();
    });
    const timer = setTimeout(finish, timeoutMs);
    let isDone = false;
    function finish(): void {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      browser.stop();
      bonjour.destroy();
      resolve([...found.values()]);
    }
  });
}

/** The URLs of an answer; null for one without a usable address or port. */
function toDiscoveredServer(service: Service): DiscoveredServer | null {
  // The answer's source address is the server's address on the link the answer came over, so it is
  // reachable from here; the A records may list addresses of other networks it is on.
  const referer = (service as Service & { referer?: { address?: string } }).referer?.address;
  const address = referer ?? service.addresses?.find((candidate) => candidate.includes('.')) ?? service.host;
  if (!address || !service.port) return null;
  const txt = (service.txt ?? {}) as Record<string, unknown>;
  const isTls = String(txt.tls ?? '0') === '1';
  const host = address.includes(':') ? `[${address}]` : address;
  // `path` is the API base (`/api/v1`); anything before it is a prefix the server is mounted under.
  const path = typeof txt.path === 'string' && txt.path.endsWith('/api/v1') ? txt.path.slice(0, -'/api/v1'.length) : '';
  const mqttPort = Number(txt.mqtt ?? 0);
  const wsPath = typeof txt.ws === 'string' && txt.ws.startsWith('/') ? txt.ws : '/mqtt';
  const serverUrl = `${isTls ? 'https' : 'http'}://${host}:${service.port}${path}`;
  return {
    name: service.name,
    serverUrl,
    mqttUrl: Number.isInteger(mqttPort) && mqttPort > 0 ? `${isTls ? 'mqtts' : 'mqtt'}://${host}:${mqttPort}` : `${isTls ? 'wss' : 'ws'}://${host}:${service.port}${wsPath}`,
    version: typeof txt.version === 'string' ? txt.version : null,
    protocol: typeof txt.protocol === 'string' ? txt.protocol : null,
    host: address,
    port: service.port,
  };
}
