export * from './connector.js';
export * from './context.js';
export * from './coverage.js';
export * from './http.js';
export * from './vocabulary.js';
