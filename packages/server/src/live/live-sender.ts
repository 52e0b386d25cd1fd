/**
 * Sending to one live client without letting a slow one grow the server's memory. While the
 * socket's unsent data (bufferedAmount) is under the limit, messages go straight out. Beyond
 * it they wait in a queue of at most the same size; when that overflows the oldest are dropped
 * (a live view wants the newest values), and once the client catches up it is told how many
 * with `{"type":"notice","message":"dropped N messages","dropped":N}`. A client that stays
 * behind for longer than the slow-client timeout is disconnected (close code 1013).
 */

/** What the sender needs of a WebSocket. */
export interface LiveSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** Limits and reports of a sender. */
export interface LiveSenderOptions {
  bufferBytes: number;
  slowClientTimeoutMs: number;
  onDropped?: (count: number) => void;
  onSlowDisconnect?: () => void;
  now?: () => number;
  checkIntervalMs?: number;
}

const OPEN = 1;

/** Creates a sender for one socket. */
export function createLiveSender(socket: LiveSocket, options: LiveSenderOptions) {
  const { bufferBytes, slowClientTimeoutMs, now = Date.now, checkIntervalMs = 50 } = options;
  const queue: string[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  let behindSince: number | null = null;
  let timer: NodeJS.Timeout | null = null;

  const isCongested = () => socket.bufferedAmount > bufferBytes;

  function stopChecking(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  /** Sends what waits while the socket has room; disconnects a client behind for too long. */
  function drain(): void {
    if (socket.readyState !== OPEN) return stopChecking();
    while ((queue.length > 0 || dropped > 0) && !isCongested()) {
      if (dropped > 0) {
        socket.send(JSON.stringify({ type: 'notice', message: `dropped ${dropped} messages`, dropped }));
        dropped = 0;
        continue;
      }
      const next = queue.shift() as string;
      queuedBytes -= next.length;
      socket.send(next);
    }
    if (queue.length === 0 && dropped === 0) {
      behindSince = null;
      return stopChecking();
    }
    if (behindSince !== null && now() - behindSince > slowClientTimeoutMs) {
      stopChecking();
      options.onSlowDisconnect?.();
      socket.close(1013, 'too slow: messages backed up');
      // A client that does not read will not read the close frame either.
      setTimeout(() => socket.terminate(), 1000).unref();
    }
  }

  return {
    /** Sends a message now, or queues it behind the ones already waiting. */
    send(text: string): void {
      if (socket.readyState !== OPEN) return;
      if (queue.length === 0 && dropped === 0 && !isCongested()) return socket.send(text);
      queue.push(text);
      queuedBytes += text.length;
      let droppedNow = 0;
      while (queuedBytes > bufferBytes && queue.length > 1) {
        queuedBytes -= (queue.shift() as string).length;
        droppedNow++;
      }
      if (droppedNow > 0) {
        dropped += droppedNow;
        options.onDropped?.(droppedNow);
      }
      behindSince ??= now();
      timer ??= setInterval(drain, checkIntervalMs).unref();
    },

    /** Messages waiting and dropped but not yet reported (for tests and metrics). */
    backlog: () => ({ queued: queue.length, queuedBytes, dropped }),

    /** Stops checking (the socket closed). */
    close: stopChecking,
  };
}

/** A sender. */
export type LiveSender = ReturnType<typeof createLiveSender>;
