#!/usr/bin/env node
/** The `flotilla-agent` executable (also the entry of the one-file bundle). */
import { agentMain } from './cli/main.js';

process.exitCode = await agentMain(process.argv.slice(2));
