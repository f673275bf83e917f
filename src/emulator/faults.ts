import { z } from 'zod';

/**
 * Faults on demand. A fault rule matches requests (by service, method, path pattern) and replaces or
 * disturbs the response for `times` matching requests after letting `skip` pass.
 */
export const FaultAction = z.discriminatedUnion('kind', [
  /** Reply with this status, headers and body instead of the real response. */
  z.object({
    kind: z.literal('status'),
    status: z.number().int(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
  }),
  /** 429 with Retry-After (seconds). */
  z.object({ kind: z.literal('rate-limit'), retryAfter: z.number().nonnegative().default(0) }),
  /** GitHub secondary rate limit: 403 with a "secondary rate limit" message and Retry-After. */
  z.object({ kind: z.literal('secondary-rate-limit'), retryAfter: z.number().nonnegative().default(0) }),
  /** Delay the real response. */
  z.object({ kind: z.literal('latency'), ms: z.number().int().nonnegative() }),
  /** Send the real status and headers, then cut the body short. */
  z.object({ kind: z.literal('truncate') }),
  /** 200 with a body that is not valid JSON. */
  z.object({ kind: z.literal('malformed') }),
  /** Send the real status, headers and part of the body, then reset the connection (TCP RST). */
  z.object({ kind: z.literal('reset-mid-body') }),
  /** Destroy the socket without a response. */
  z.object({ kind: z.literal('reset') }),
  /** Never answer (the client's timeout fires). */
  z.object({ kind: z.literal('timeout') }),
  /**
   * The access token of this request expires now: the route's own 401 for an expired token, for this
   * request and every later one that carries the same token (a new token from the token endpoint works).
   */
  z.object({ kind: z.literal('token-expired') }),
  /** The route's own 403 for a permission the caller lacks (one collector's permission withdrawn). */
  z.object({ kind: z.literal('permission-denied') }),
  /** The route's own 404, as if its resource were not there (e.g. a transient 404 on one child list). */
  z.object({ kind: z.literal('not-found') }),
  /** The real page, with its next-page link or token pointing back at the page just served. */
  z.object({ kind: z.literal('paging-loop') }),
]);
export type FaultAction = z.infer<typeof FaultAction>;

export const FaultRule = z.object({
  /** Optional label, for removing one rule. */
  id: z.string().optional(),
  service: z.string().optional(),
  method: z.string().optional(),
  /**
   * Route pattern as registered (`/api/v3/orgs/{org}/installations`) or a path prefix/regex:
   * a value starting with `^` is a regular expression on the request path; otherwise it matches the
   * route pattern exactly or the request path as a prefix.
   */
  path: z.string().optional(),
  /** Let this many matching requests through first. */
  skip: z.number().int().nonnegative().default(0),
  /** Apply to this many matching requests (after skip); omitted = always. */
  times: z.number().int().positive().optional(),
  action: FaultAction,
});
export type FaultRule = z.infer<typeof FaultRule>;
export type FaultRuleInput = z.input<typeof FaultRule>;

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  applied: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  /** Authorization header values whose token a `token-expired` fault expired. */
  private readonly expired = new Set<string>();

  add(input: FaultRuleInput): void {
    this.rules.push({ rule: FaultRule.parse(input), seen: 0, applied: 0 });
  }

  /** Remove the rules (all, or those labelled `id`). Expired tokens stay expired, as they do on the service. */
  clear(id?: string): void {
    this.rules = id ? this.rules.filter((r) => r.rule.id !== id) : [];
  }

  /** Refuse the token in this Authorization header from now on. */
  expire(authorization: string): void {
    this.expired.add(authorization.trim());
  }

  isExpired(authorization: string | undefined): boolean {
    return authorization !== undefined && this.expired.has(authorization.trim());
  }

  /** The fault to apply to this request, if any (and count it). */
  take(req: { service: string; method: string; pattern: string; path: string }): FaultAction | null {
    for (const r of this.rules) {
      const { rule } = r;
      if (rule.service && rule.service !== req.service) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method) continue;
      if (rule.path) {
        const hit = rule.path.startsWith('^')
          ? new RegExp(rule.path).test(req.path)
          : rule.path === req.pattern || req.path.startsWith(rule.path);
        if (!hit) continue;
      }
      r.seen += 1;
      if (r.seen <= rule.skip) continue;
      if (rule.times != null && r.applied >= rule.times) continue;
      r.applied += 1;
      return rule.action;
    }
    return null;
  }

  list(): Array<FaultRule & { applied: number }> {
    return this.rules.map((r) => ({ ...r.rule, applied: r.applied }));
  }
}
