#!/usr/bin/env node
/** The `flotilla` executable. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
