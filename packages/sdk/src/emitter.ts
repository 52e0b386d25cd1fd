/**
 * A small typed event emitter, so the main entry needs neither `node:events` nor a polyfill in
 * browsers. A listener that throws is reported to `onListenerError`, never to the emitter.
 */

// Listeners are stored untyped; on() and emit() keep the types.
type AnyListener = (...args: never[]) => void;

/** Event name → listener arguments. */
export type EventMap = Record<string, unknown[]>;

/** Subscribe with on(), which returns the function that unsubscribes. */
export interface Emitter<Events extends EventMap> {
  on<Name extends keyof Events>(name: Name, listener: (...args: Events[Name]) => void): () => void;
  off<Name extends keyof Events>(name: Name, listener: (...args: Events[Name]) => void): void;
  once<Name extends keyof Events>(name: Name, listener: (...args: Events[Name]) => void): () => void;
  emit<Name extends keyof Events>(name: Name, ...args: Events[Name]): void;
  listenerCount(name: keyof Events): number;
  clear(): void;
}

/** Creates an emitter. */
export function createEmitter<Events extends EventMap>(onListenerError: (error: unknown) => void = () => {}): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<AnyListener>>();
  const emitter: Emitter<Events> = {
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as unknown as AnyListener);
      return () => emitter.off(name, listener);
    },
    off(name, listener) {
      listeners.get(name)?.delete(listener as unknown as AnyListener);
    },
    once(name, listener) {
      const stop = emitter.on(name, (...args) => {
        stop();
        listener(...args);
      });
      return stop;
    },
    emit(name, ...args) {
      for (const listener of [...(listeners.get(name) ?? [])]) {
        try {
          (listener as unknown as (...args: Events[typeof name]) => void)(...args);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    listenerCount: (name) => listeners.get(name)?.size ?? 0,
    clear: () => listeners.clear(),
  };
  return emitter;
}
