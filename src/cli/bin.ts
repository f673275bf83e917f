#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { EXIT, signalExitCode } from '../errors.js';
import { main } from './main.js';

// V8 lets the heap grow to several times the live data between full collections (a growth factor up to
// 4x): a 50,000-service-principal scan with ~120 MB live peaked at 863 MiB RSS. Growing by at most 25%
// keeps it at ~430 MiB, for more frequent collections; it is not a cap, so a larger tenant still
// completes. A growth factor given on the command line (`node --heap-growing-percent=N`) wins.
if (!process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) {
  setFlagsFromString('--heap-growing-percent=25');
}

// `grantscope … | head` closes the pipe before the output ends: stop quietly, as other CLIs do, instead of
// dying on an unhandled EPIPE with a stack trace. What a scan stored is committed or not at all.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// A signal during any command but scan (which stops its connectors and rolls its snapshot back itself):
// say what was interrupted, then leave with 128 + the signal number. Every database write is a
// transaction, so what is stored is whole.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (process.listenerCount(signal) > 1) return;
    const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'grantscope';
    process.stderr.write(
      `grantscope: ${command} interrupted by ${signal}; the database is intact (every write is committed whole or not at all)\n`,
    );
    process.exit(signalExitCode(signal));
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // After an interrupt or a configuration error mid-scan, other connectors may still hold timers and
  // sockets open: leave once what was written to stdout is flushed.
  if (code === EXIT.interrupted || code === EXIT.terminated || code === EXIT.usage)
    process.stdout.write('', () => process.exit(code));
});
