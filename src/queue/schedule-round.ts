import type PgBoss from 'pg-boss';
import type { TenantSelection } from '../config/select-tenants.js';
import { UsageError } from '../errors.js';
import type { JobPolicy } from './enqueue-round.js';
import { SCHEDULE_QUEUE } from './queue-names.js';

/**
 * What the schedule's job carries: which tenants to queue and how their jobs retry. The tenants are
 * resolved from the config of the worker that fires it, as `grantscope enqueue` resolves them.
 */
export interface ScheduleData extends TenantSelection {
  policy: JobPolicy;
}

export interface StoredSchedule {
  cron: string;
  timezone: string;
  data: ScheduleData;
}

/**
 * Store (or replace) the one schedule: pg-boss's cron, evaluated by any running worker (each checks
 * every 30 s or so; pg-boss sends at most one job per minute for a schedule, however many workers).
 */
export async function setSchedule(
  boss: PgBoss,
  cron: string,
  timezone: string,
  data: ScheduleData,
): Promise<void> {
  try {
    await boss.schedule(SCHEDULE_QUEUE, cron, data as unknown as object, { tz: timezone });
  } catch (err) {
    throw new UsageError(`--cron '${cron}' (time zone ${timezone}): ${(err as Error).message}`);
  }
}

export async function removeSchedule(boss: PgBoss): Promise<boolean> {
  const had = (await getSchedule(boss)) !== null;
  await boss.unschedule(SCHEDULE_QUEUE);
  return had;
}

export async function getSchedule(boss: PgBoss): Promise<StoredSchedule | null> {
  const all = (await boss.getSchedules()) as Array<{
    name: string;
    cron: string;
    timezone?: string;
    data?: unknown;
  }>;
  const mine = all.find((s) => s.name === SCHEDULE_QUEUE);
  if (!mine) return null;
  return { cron: mine.cron, timezone: mine.timezone ?? 'UTC', data: mine.data as ScheduleData };
}
