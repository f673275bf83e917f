#!/usr/bin/env node
import { EXIT } from '../errors.js';
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
  // After an interrupt or a configuration error mid-scan, other connectors may still hold timers and
  // sockets open: leave once what was written to stdout is flushed.
  if (code === EXIT.interrupted || code === EXIT.usage) process.stdout.write('', () => process.exit(code));
});
