import type { Collector, CollectorRun } from '../../src/connector/collector.js';
import type { RateBudget } from './rate-budget.js';
import type { GithubSession } from './session.js';

/**
 * When GitHub's collectors may fetch at the same time. With an ample primary budget they run
 * concurrently, sharing the context's one request limit (and the secondary pacer). While the budget
 * is unknown (before the first response reports it) or tight, they take turns in declaration order,
 * the most valuable first, as they always have: a budget that runs out then covers whole collectors
 * and names the ones it did not reach, instead of leaving several half done.
 */
export class CollectorTurns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly budget: RateBudget,
    private readonly reserve: number,
    private readonly maxConcurrent: number,
  ) {
    // The first answers report the budget: once it is ample, those waiting need not wait for the
    // first collector to finish (members, several pages) before they start.
    budget.onObserve(() => {
      if (this.waiting.length > 0 && this.running < this.maxConcurrent && this.ample()) this.wake();
    });
  }

  /** Wake as many waiting collectors as may run now; each re-checks in `enter`. */
  private wake(): void {
    const woken = this.waiting.splice(0, Math.max(1, this.maxConcurrent - this.running));
    for (const w of woken) w();
  }

  /** Ample: at least a tenth of the hour's budget (and 100 requests) above the reserve. */
  private ample(): boolean {
    const core = this.budget.status('core');
    if (!core) return false;
    return core.remaining - this.reserve >= Math.max(100, core.limit / 10);
  }

  async enter(): Promise<void> {
    while (this.running > 0 && !(this.running < this.maxConcurrent && this.ample())) {
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
    this.running += 1;
  }

  leave(): void {
    this.running -= 1;
    // Ample: as many as may run go; tight: the next in line re-checks.
    if (this.ample()) this.wake();
    else this.waiting.shift()?.();
  }
}

const turnsBySession = new WeakMap<GithubSession, CollectorTurns>();

/** `collector`, fetching only when its turn comes (see CollectorTurns). */
export function takingTurns<C extends Collector<GithubSession, unknown>>(collector: C): C {
  return {
    ...collector,
    async fetch(session: GithubSession, run: CollectorRun) {
      let turns = turnsBySession.get(session);
      if (!turns) {
        turns = new CollectorTurns(
          session.client.budget,
          session.config.rateLimit.reserve,
          session.config.collectorConcurrency,
        );
        turnsBySession.set(session, turns);
      }
      await turns.enter();
      try {
        return await collector.fetch(session, run);
      } finally {
        turns.leave();
      }
    },
  };
}
