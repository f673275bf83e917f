export { SCHEMA_VERSION } from './migrations/index.js';
export { openSqliteStore, type SqliteStoreOptions } from './open-sqlite-store.js';
