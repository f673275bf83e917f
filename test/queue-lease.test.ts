import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../src/log/logger.js';
import { JobLease } from '../src/queue/job-lease.js';
import { openQueue } from '../src/queue/open-queue.js';
import { QUEUE_SCHEMA, SCAN_QUEUE } from '../src/queue/queue-names.js';
import { postgresAvailable, testPostgres } from './support/postgres.js';
import { clusterForTests } from './support/postgres-hooks.js';

/**
 * The lease a worker holds on a running job (pg-boss 10 has no heartbeat): renewing moves the expiry one
 * lease past now; a retried job starts again from one lease (the expiry its last attempt grew to is not
 * inherited); and a job that is no longer running is no longer held.
 */
if (!postgresAvailable) void testPostgres();

describe.runIf(postgresAvailable)('job lease', () => {
  const cluster = clusterForTests();

  it('renews one lease ahead, restarts from one lease on a retry, and lets go of an ended job', async () => {
    const url = await cluster().createDatabase(`gs_queue_lease_${process.pid}`);
    const boss = await openQueue(url, { logger: memoryLogger('error') });
    const holder = { worker: 'test:1', host: 'test', pid: 1 };
    /** Seconds from now until the job expires, as pg-boss's maintenance would judge it. */
    const leftOf = async (id: string) => {
      const { rows } = await boss.getDb().executeSql(
        `SELECT EXTRACT(epoch FROM (started_on + expire_in) - now())::float AS left
           FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND id = $2`,
        [SCAN_QUEUE, id],
      );
      return (rows[0] as { left: number }).left;
    };
    try {
      const id = (await boss.send(
        SCAN_QUEUE,
        { round: 'r', connector: 'c', tenant: 't', leaseSeconds: 5 },
        { singletonKey: 'c:t', expireInSeconds: 5, retryLimit: 1, retryDelay: 0 },
      ))!;
      const [first] = await boss.fetch(SCAN_QUEUE);
      expect(first?.id).toBe(id);
      const lease = await JobLease.take(boss, SCAN_QUEUE, id, 5, holder);
      expect(lease.renewEverySeconds).toBe(1);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await leftOf(id)).toBeLessThan(3.5);
      expect(await lease.renew()).toBe(true);
      expect(await leftOf(id)).toBeGreaterThan(4.5);

      // Failed (a worker stopped): retried, and the next holder's lease starts from 5 s, not 7.
      await boss.fail(SCAN_QUEUE, id, { message: 'stopped' });
      const [again] = await boss.fetch(SCAN_QUEUE);
      expect(again?.id).toBe(id);
      const { rows } = await boss
        .getDb()
        .executeSql(
          `SELECT EXTRACT(epoch FROM expire_in)::float AS s FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND id = $2`,
          [SCAN_QUEUE, id],
        );
      expect((rows[0] as { s: number }).s).toBeGreaterThan(6.5);
      const second = await JobLease.take(boss, SCAN_QUEUE, id, 5, holder);
      const left = await leftOf(id);
      expect(left).toBeGreaterThan(4.5);
      expect(left).toBeLessThanOrEqual(5.1);

      await boss.complete(SCAN_QUEUE, id, { scanId: 1 });
      expect(await second.renew()).toBe(false);
      await second.release();
    } finally {
      await boss.stop({ graceful: false });
    }
  }, 60_000);
});
