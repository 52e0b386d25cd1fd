/**
 * Devices waiting in a long HTTP poll for a command. One bus listener serves them all: a
 * `queued` command event wakes the waiters of its device, on whichever instance they wait.
 */
import type { Bus } from '../bus/bus.js';

/** One wait: settles on a queued command, the timeout, an abort or stop; `cancel` ends it early. */
export interface PollWait {
  promise: Promise<void>;
  cancel(): void;
}

/** Creates the registry of waiting polls. */
export function createPollWaiters(bus: Bus) {
  const waiting = new Map<string, Set<() => void>>();
  let isStopped = false;

  const unsubscribe = bus.subscribe('command', (event) => {
    if (event.status !== 'queued') return;
    for (const wake of waiting.get(event.deviceId) ?? []) wake();
  });

  return {
    /** Waits at most `timeoutMs` for a command of the device to be queued. */
    next(deviceId: string, timeoutMs: number, signal?: AbortSignal): PollWait {
      let wake: () => void = () => undefined;
      const promise = new Promise<void>((resolve) => {
        if (isStopped || timeoutMs <= 0 || signal?.aborted) return resolve();
        const timer = setTimeout(() => wake(), timeoutMs);
        const onAbort = () => wake();
        wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const set = waiting.get(deviceId);
          set?.delete(wake);
          if (set?.size === 0) waiting.delete(deviceId);
          resolve();
        };
        signal?.addEventListener('abort', onAbort);
        const set = waiting.get(deviceId) ?? new Set();
        waiting.set(deviceId, set.add(wake));
      });
      return { promise, cancel: () => wake() };
    },

    isStopped: () => isStopped,

    /** Wakes every waiter and refuses new waits. */
    stop(): void {
      isStopped = true;
      unsubscribe();
      for (const set of [...waiting.values()]) for (const wake of [...set]) wake();
    },
  };
}
