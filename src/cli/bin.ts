#!/usr/bin/env node
import { EXIT } from '../errors.js';
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
  // After an interrupt, connectors may still hold timers and sockets open: leave now.
  if (code === EXIT.interrupted) process.exit(code);
});
