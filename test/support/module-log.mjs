// Loaded with `node --import`: appends the URL of every module the process loads to $GRANTSCOPE_MODULE_LOG,
// so tests can tell which modules a command loads.
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(process.env.GRANTSCOPE_MODULE_LOG)}, url + '\\n');
  return next(url, context);
}`)}`,
);
