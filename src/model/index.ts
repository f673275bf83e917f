export * from './common.js';
export * from './credential.js';
export * from './grant.js';
export * from './identity.js';
export * from './person.js';
export * from './record.js';
