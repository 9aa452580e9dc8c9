#!/usr/bin/env node
// Entry point of the `lottery` command: runs the compiled CLI (npm ci builds it through `prepare`).
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
