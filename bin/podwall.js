#!/usr/bin/env node
// Thin launcher so `npx podwall` and the package bin run the compiled CLI.
import '../dist/src/cli/run.js';
