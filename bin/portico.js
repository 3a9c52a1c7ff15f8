#!/usr/bin/env node
// The installed command: a thin shim over the compiled CLI (built by `npm install`).
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
