/** Prometheus metrics of the live stream. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Counters of the live stream; `connected` reads the client count when scraped. */
export function createLiveMetrics(registry: Registry, connected: () => number) {
  const registers = [registry];
  const dropped = new Counter({ name: 'flotilla_live_messages_dropped_total', help: 'Live messages dropped because a client read too slowly', registers });
  const slow = new Counter({ name: 'flotilla_live_slow_disconnects_total', help: 'Live clients disconnected for staying behind too long', registers });
  new Gauge({
    name: 'flotilla_live_connections',
    help: 'Open live WebSocket connections',
    registers,
    collect() {
      this.set(connected());
    },
  });
  return { dropped: (count: number) => dropped.inc(count), slowDisconnect: () => slow.inc() };
}
