/**
 * The command sweeper: a background job that marks commands `expired` once past their expiry
 * without finishing, and acknowledged ones `failed` ("timed out") once past their timeout. It
 * works in batches of `batchSize` rows, yielding between them, and stops at the next batch on
 * shutdown. Each batch is one conditional UPDATE, so several instances may sweep at once
 * without a lock: a command changes status once.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { CommandsService } from './commands.service.js';

/** Options of the sweeper. */
export interface CommandSweeperOptions {
  intervalMs: number;
  /** Rows per UPDATE statement. */
  batchSize: number;
}

/** The sweeper with its lifecycle; `runOnce` is also what tests call. */
export function createCommandSweeper({ commands, log, options }: { commands: Pick<CommandsService, 'sweep'>; log: Logger; options?: Partial<CommandSweeperOptions> }) {
  const { intervalMs, batchSize } = { intervalMs: 5000, batchSize: 100, ...options };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<{ expired: number; timedOut: number }> | null = null;
  let isStopping = false;

  async function run(now: number) {
    const total = { expired: 0, timedOut: 0 };
    while (!isStopping) {
      const swept = await commands.sweep(now, batchSize);
      total.expired += swept.expired;
      total.timedOut += swept.timedOut;
      if (swept.expired < batchSize && swept.timedOut < batchSize) break;
      await yieldToEventLoop();
    }
    return total;
  }

  /** One pass; concurrent calls share the pass in progress. */
  function runOnce(now = Date.now()) {
    running ??= run(now).finally(() => {
      running = null;
    });
    return running;
  }

  function tick(): void {
    runOnce().then(
      (report) => {
        if (report.expired + report.timedOut > 0) log.info(report, 'commands swept');
      },
      (error: unknown) => log.error({ err: error }, 'command sweep failed'),
    );
  }

  return {
    runOnce,

    /** Runs every `intervalMs`. */
    start(): void {
      if (timer) return;
      isStopping = false;
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },

    /** Stops the schedule and waits for a pass in progress to stop after its current batch. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      isStopping = true;
      await running?.catch(() => undefined);
      isStopping = false;
    },
  };
}
