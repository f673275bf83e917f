export * from './access.js';
export * from './collector.js';
export * from './connector.js';
export * from './context.js';
export * from './coverage.js';
export * from './http.js';
export * from './runner.js';
export * from './vocabulary.js';
