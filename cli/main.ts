#!/usr/bin/env node
// Entry point of the `tsroute` bin. A flag value that its parser refuses (`--port x`) is thrown from
// inside commander's parsing, before any action runs, so it is turned into one line and exit 1 here;
// nothing reaches Node's default handler and its stack trace.
import { EXIT_USER_ERROR } from './exit.js';
import { buildProgram } from './program.js';

// Node's deprecation notices are for developers: grpc-js's TLS to an etcd addressed by IP triggers
// one (DEP0123) on every run, which would be a second line under every answer.
process.noDeprecation = true;

try {
  await (await buildProgram(process.argv)).parseAsync(process.argv);
} catch (err) {
  const e = err as Error & { exitCode?: number };
  process.stderr.write(`tsroute: ${e.message ?? String(err)}\n`);
  if (process.env.TSROUTE_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : EXIT_USER_ERROR;
}
