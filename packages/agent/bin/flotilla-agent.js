#!/usr/bin/env node
// Committed entry point, so npm links `flotilla-agent` at install time, before the first build.
import '../dist/bin.js';
