/**
 * Where the queue lives in PostgreSQL. pg-boss keeps its own tables in their own schema, apart from the
 * snapshot store's (docs/distributed.md, "What is in the database"); the names are part of the public
 * interface: operators query them.
 */
export const QUEUE_SCHEMA = 'grantscope_queue';

/** One job per tenant of a round: scan it, then record its findings. */
export const SCAN_QUEUE = 'grantscope-scan';

/** One job per round, sent once every scan job of the round has ended: ticket sync and the round report. */
export const ROUND_QUEUE = 'grantscope-round';

/** The pg-boss schedule that enqueues a round (`grantscope schedule`). */
export const SCHEDULE_QUEUE = 'grantscope-schedule';

/** grantscope's own table beside pg-boss's: which worker (host, pid) holds each running job. */
export const CLAIM_TABLE = `${QUEUE_SCHEMA}.grantscope_job_claim`;
