export { defaultPolicy, loadPolicy, parsePolicy } from './load.js';
export * from './schema.js';
