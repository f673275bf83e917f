// `node --import ./module-probe.mjs …`: records the URL of every ES module the process loads, one a line,
// in the file named by GRANTSCOPE_MODULE_LOG; with GRANTSCOPE_HIDE_PACKAGE=<name>, that package cannot
// be found, as when it is not installed. For tests of what a command loads.
import { register } from 'node:module';

register('./module-probe-hooks.mjs', import.meta.url);
