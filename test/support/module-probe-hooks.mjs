// Module hooks of module-probe.mjs (they run on the loader thread).
import { appendFileSync } from 'node:fs';

const log = process.env.GRANTSCOPE_MODULE_LOG;
const hidden = process.env.GRANTSCOPE_HIDE_PACKAGE;

export async function resolve(specifier, context, next) {
  if (hidden && (specifier === hidden || specifier.startsWith(`${hidden}/`))) {
    const err = new Error(`Cannot find package '${hidden}' imported from ${context.parentURL}`);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (log) appendFileSync(log, `${url}\n`);
  return next(url, context);
}
