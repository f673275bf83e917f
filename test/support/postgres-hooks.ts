import { afterAll, beforeAll } from 'vitest';
import { type PostgresCluster, testPostgres } from './postgres.js';

// Apart from postgres.ts, which the bench imports too: the bench runs outside vitest.
/**
 * The file's cluster for the enclosing `describe`: started before its tests, stopped after them. Call it
 * inside a `describe.runIf(postgresAvailable)`; the getter is for use inside the tests.
 */
export function clusterForTests(): () => PostgresCluster {
  let cluster: PostgresCluster | null = null;
  beforeAll(async () => {
    cluster = await testPostgres();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster)
      throw new Error(
        'no PostgreSQL cluster: call clusterForTests() under describe.runIf(postgresAvailable)',
      );
    return cluster;
  };
}
