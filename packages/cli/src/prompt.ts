/** Questions on the terminal: a line of text, a hidden password, a yes/no confirmation. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './errors.js';

/** Where the question is written (stderr, through the output module). */
export type Write = (text: string) => void;

/** Exit status of a command stopped with Ctrl-C, as shells report it. */
const EXIT_INTERRUPTED = 130;

/**
 * Asks a question on the terminal and resolves with the line typed. With `hidden`, what is
 * typed is not echoed (for passwords).
 */
export function ask(write: Write, question: string, { hidden = false } = {}): Promise<string> {
  let isMuted = false;
  // Readline echoes typed characters to its output; muting that output hides a password.
  const echo = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!isMuted) write(chunk.toString());
      callback();
    },
  });
  const readline = createInterface({ input: process.stdin, output: echo, terminal: Boolean(process.stdin.isTTY) });
  return new Promise((resolve, reject) => {
    let isAnswered = false;
    readline.on('SIGINT', () => readline.close());
    readline.on('close', () => {
      if (isAnswered) return;
      write('\n');
      reject(new CliError('cancelled', null, EXIT_INTERRUPTED));
    });
    readline.question(question, (answer) => {
      isAnswered = true;
      if (hidden) write('\n');
      readline.close();
      resolve(answer);
    });
    isMuted = hidden;
  });
}

/** Asks a yes/no question; only `y` or `yes` is yes. */
export async function confirm(write: Write, question: string): Promise<boolean> {
  const answer = await ask(write, `${question} [y/N] `);
  return ['y', 'yes'].includes(answer.trim().toLowerCase());
}
