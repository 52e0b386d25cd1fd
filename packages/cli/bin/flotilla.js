#!/usr/bin/env node
// Committed entry point, so npm links `flotilla` at install time, before the first build.
import '../dist/flotilla.mjs';
