#!/usr/bin/env node
/** The `flotilla` executable. */
import { main } from './main.js';

// `flotilla … | head` closes the pipe early: the reader has what it wanted, so end quietly as
// other command-line tools do instead of crashing on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
