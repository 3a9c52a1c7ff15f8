#!/usr/bin/env node
// The installed command: a thin shim over the compiled CLI (built by `npm install`).
// File I/O runs on libuv's thread pool (4 threads by default): a mail server keeps many
// fsyncs in flight at once (queue files, Maildir deliveries), so it gets more threads. This
// must be set before the pool starts, hence before the CLI is imported.
process.env.UV_THREADPOOL_SIZE ??= "32";
const { main } = await import("../dist/src/cli/main.js");

process.exitCode = await main(process.argv.slice(2));
