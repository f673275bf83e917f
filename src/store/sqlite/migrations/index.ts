import type Database from 'better-sqlite3';
import { StoreError, StoreNewerSchemaError } from '../../../errors.js';
import { initialSchema } from './001-initial-schema.js';
import { connectorStateSchema } from './002-connector-state.js';
import { reviewsSchema } from './003-reviews.js';
import { findingGovernanceSchema } from './004-finding-governance.js';
import { peopleSchema } from './005-people.js';
import { ticketsSchema } from './006-tickets.js';
import { findingsLastSeenSchema } from './007-findings-last-seen.js';
import { scanHeartbeatSchema } from './008-scan-heartbeat.js';
import { findingsAnalysisInputsSchema } from './009-findings-analysis-inputs.js';
import { findingsRowidSchema } from './010-findings-rowid.js';
import { findingsCarrySchema } from './011-findings-carry.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered, append-only. Each runs in its own transaction that also bumps `PRAGMA user_version`. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: initialSchema },
  { version: 2, name: 'connector state', sql: connectorStateSchema },
  { version: 3, name: 'reviews and governance hash', sql: reviewsSchema },
  { version: 4, name: 'finding governance', sql: findingGovernanceSchema },
  { version: 5, name: 'people', sql: peopleSchema },
  { version: 6, name: 'tickets', sql: ticketsSchema },
  { version: 7, name: 'findings last seen per source', sql: findingsLastSeenSchema },
  { version: 8, name: 'scan heartbeat', sql: scanHeartbeatSchema },
  { version: 9, name: 'findings analysis inputs', sql: findingsAnalysisInputsSchema },
  { version: 10, name: 'findings as a rowid table', sql: findingsRowidSchema },
  { version: 11, name: 'findings carry', sql: findingsCarrySchema },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** `PRAGMA application_id` of a grantscope store: "GSC1". Tells our files apart from other SQLite files. */
export const APPLICATION_ID = 0x47534331;

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function hasTables(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1").get() !== undefined;
}

/**
 * Brings the schema up to SCHEMA_VERSION. Refuses files of a newer grantscope and SQLite files that
 * are not grantscope stores. Safe against a second process migrating at the same time: the version
 * is re-read inside each migration's write transaction.
 */
export function migrate(db: Database.Database, file: string, now: () => Date): { from: number; to: number } {
  const from = userVersion(db);
  checkVersion(db, file, from);
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      const current = userVersion(db);
      checkVersion(db, file, current);
      if (current >= m.version) return;
      if (current !== m.version - 1) {
        throw new StoreError(file, `schema version ${current} cannot be migrated to ${m.version}`);
      }
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now().toISOString(),
      );
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: userVersion(db) };
}

/**
 * Refuses a SQLite file that grantscope did not create, or that a newer grantscope made. With
 * `current`, also one whose schema is older (a read-only open cannot migrate it). Reads only.
 */
export function checkStoreFile(
  db: Database.Database,
  file: string,
  options: { current?: boolean } = {},
): void {
  const version = userVersion(db);
  checkVersion(db, file, version);
  if (options.current && version < SCHEMA_VERSION) {
    throw new StoreError(
      file,
      version === 0
        ? 'is empty: no scan has been stored yet; run `grantscope scan` first'
        : `schema version ${version} is older than this grantscope's (${SCHEMA_VERSION}); run a command that writes (\`grantscope scan\`) once to migrate it`,
    );
  }
}

function checkVersion(db: Database.Database, file: string, version: number): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (version === 0) {
    if (hasTables(db)) {
      throw new StoreError(file, 'is a SQLite database that grantscope did not create; choose another file');
    }
    return;
  }
  if (appId !== APPLICATION_ID) {
    throw new StoreError(file, 'is a SQLite database that grantscope did not create; choose another file');
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreNewerSchemaError(
      file,
      `schema version ${version} was created by a newer grantscope (this one supports up to ${SCHEMA_VERSION}); upgrade grantscope`,
    );
  }
}
