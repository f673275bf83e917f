import fc from 'fast-check';
import {
  Credential,
  Grant,
  Identity,
  type ModelRecord,
  recordKey,
  sourceKey,
} from '../../src/model/index.js';

/**
 * fast-check arbitraries of realistic model records. Key spaces are deliberately small so that two
 * independently drawn sets share many keys with different contents (a changed display name, read →
 * write, a wider selection, a renewed expiry), which is what a diff has to get right.
 */

const SOURCES = [
  { platform: 'github', tenant: { id: 'acme', name: 'Acme' } },
  { platform: 'microsoft365', tenant: { id: 'tenant-1', name: 'contoso.example' } },
] as const;
const KINDS = ['github-app-installation', 'service-principal', 'oauth-client'] as const;
const NATIVE_IDS = ['1', '2', '3', '4'] as const;
const COLLECTORS = ['apps', 'grants', 'credentials', 'extra'] as const;
const BASE = Date.parse('2026-01-01T00:00:00Z');

const source = fc.constantFrom(...SOURCES);
const ref = fc.record({ kind: fc.constantFrom(...KINDS), nativeId: fc.constantFrom(...NATIVE_IDS) });
const collector = fc.constantFrom(...COLLECTORS);
const date = fc.integer({ min: 0, max: 500 }).map((d) => new Date(BASE + d * 86_400_000).toISOString());
const principal = fc.record({
  id: fc.constantFrom('alice', 'bob', 'carol'),
  name: fc.constantFrom(null, 'Alice', 'Bob'),
  type: fc.constant('user' as const),
  active: fc.constantFrom(true, false, null),
});
const usage = fc.option(
  fc.record({ at: fc.option(date, { nil: null }), source: fc.constant('test:usage') }),
  {
    nil: null,
  },
);

export const identityArb: fc.Arbitrary<Identity> = fc
  .record({
    src: source,
    ref,
    displayName: fc.constantFrom('Acme CI', 'Deploy Bot', 'Mail Sync', null),
    publisher: fc.record({
      name: fc.constantFrom('Acme Tools', 'Evil Corp', null),
      id: fc.constantFrom('p1', 'p2', null),
      verified: fc.constantFrom(true, false, null),
    }),
    origin: fc.constantFrom('third-party', 'internal', 'platform', 'unknown'),
    createdAt: fc.option(date, { nil: null }),
    enabled: fc.constantFrom(true, false, null),
    lastUsed: usage,
    owners: fc.uniqueArray(principal, { maxLength: 3, selector: (p) => p.id }),
    collector,
  })
  .map((x) =>
    Identity.parse({
      type: 'identity',
      platform: x.src.platform,
      tenant: x.src.tenant,
      kind: x.ref.kind,
      nativeId: x.ref.nativeId,
      displayName: x.displayName,
      publisher: x.publisher,
      origin: x.origin,
      createdAt: x.createdAt,
      enabled: x.enabled,
      lastUsed: x.lastUsed,
      owners: x.owners,
      manageUrl: `https://admin.example/${x.ref.kind}/${x.ref.nativeId}`,
      collector: x.collector,
      raw: { id: x.ref.nativeId },
    }),
  );

export const grantArb: fc.Arbitrary<Grant> = fc
  .record({
    src: source,
    ref,
    permission: fc.constantFrom('contents', 'issues', 'Mail.Read', 'Directory.ReadWrite.All'),
    resource: fc.constantFrom(null, 'graph'),
    access: fc.constantFrom('read', 'write', 'admin'),
    breadth: fc.constantFrom('user', 'resource', 'selected', 'all', 'tenant'),
    targetId: fc.constantFrom('r1', 'r2'),
    resources: fc.uniqueArray(fc.constantFrom('repo-a', 'repo-b', 'repo-c', 'repo-d'), { maxLength: 4 }),
    principal: fc.option(principal, { nil: null }),
    tier: fc.constantFrom('critical', 'high', 'medium', 'low', 'unknown'),
    collector,
  })
  .map((x) =>
    Grant.parse({
      type: 'grant',
      platform: x.src.platform,
      tenant: x.src.tenant,
      identity: x.ref,
      permission: { id: x.permission, name: x.permission, resource: x.resource, access: x.access },
      target: {
        breadth: x.breadth,
        type: 'repository',
        id: x.breadth === 'user' || x.breadth === 'resource' ? x.targetId : null,
        resources: x.breadth === 'selected' ? x.resources : [],
        count: x.breadth === 'selected' ? x.resources.length : null,
      },
      principal: x.principal,
      risk: { tier: x.tier },
      collector: x.collector,
    }),
  );

export const credentialArb: fc.Arbitrary<Credential> = fc
  .record({
    src: source,
    ref,
    credentialType: fc.constantFrom('client-secret', 'certificate', 'pat'),
    nativeId: fc.constantFrom('k1', 'k2', 'k3'),
    createdAt: fc.option(date, { nil: null }),
    expiresAt: fc.option(date, { nil: null }),
    lastUsed: usage,
    enabled: fc.constantFrom(true, false, null),
    collector,
  })
  .map((x) =>
    Credential.parse({
      type: 'credential',
      platform: x.src.platform,
      tenant: x.src.tenant,
      identity: x.ref,
      credentialType: x.credentialType,
      nativeId: x.nativeId,
      createdAt: x.createdAt,
      expiresAt: x.expiresAt,
      lastUsed: x.lastUsed,
      enabled: x.enabled,
      collector: x.collector,
    }),
  );

export function recordId(r: ModelRecord): string {
  return `${r.type}\u0000${sourceKey(r)}\u0000${recordKey(r)}`;
}

/** A set of records with unique keys (as one scan holds them). */
export const recordSetArb: fc.Arbitrary<ModelRecord[]> = fc.uniqueArray(
  fc.oneof(identityArb, grantArb, credentialArb) as fc.Arbitrary<ModelRecord>,
  { maxLength: 40, selector: recordId },
);

const DAY = 86_400_000;
const later = (t: string | null, days: number) =>
  new Date((t ? Date.parse(t) : BASE) + days * DAY).toISOString();

/** Single-field edits of a record that keep its key: what a rescan typically finds changed. */
const MUTATIONS: {
  [T in ModelRecord['type']]: Array<(r: Extract<ModelRecord, { type: T }>) => ModelRecord>;
} = {
  identity: [
    (r) => ({ ...r, lastUsed: { at: later(r.lastUsed?.at ?? null, 3), source: 'test:usage' } }),
    (r) => ({ ...r, displayName: `${r.displayName ?? 'app'} (renamed)` }),
    (r) => ({ ...r, owners: r.owners.map((o, i) => (i === 0 ? { ...o, active: false } : o)) }),
    (r) => ({ ...r, owners: [...r.owners, { id: 'dave', name: null, type: 'user', active: true }] }),
    (r) => ({ ...r, raw: { id: r.nativeId, etag: 'changed' } }),
    (r) => ({ ...r, enabled: r.enabled === false }),
  ],
  grant: [
    (r) => ({
      ...r,
      permission: { ...r.permission, access: r.permission.access === 'read' ? 'write' : 'read' },
    }),
    // Widen selected → all → tenant; user/resource targets are part of the key, so leave them alone.
    (r) =>
      r.target.breadth === 'selected' || r.target.breadth === 'all'
        ? { ...r, target: { ...r.target, breadth: r.target.breadth === 'all' ? 'tenant' : 'all' } }
        : { ...r, grantedVia: 'admin-consent' },
    (r) =>
      r.target.breadth === 'selected'
        ? {
            ...r,
            target: {
              ...r.target,
              resources: [...r.target.resources, 'repo-z'],
              count: (r.target.count ?? 0) + 1,
            },
          }
        : { ...r, risk: { ...r.risk, tier: 'critical' } },
    (r) => ({ ...r, raw: { changed: true } }),
  ],
  credential: [
    (r) => ({ ...r, expiresAt: later(r.expiresAt, 180) }),
    (r) => ({ ...r, expiresAt: later(r.expiresAt, -10) }),
    (r) => ({ ...r, lastUsed: { at: later(r.lastUsed?.at ?? null, 1), source: 'test:usage' } }),
    (r) => ({ ...r, enabled: r.enabled === false }),
  ],
};

function mutate(r: ModelRecord, choice: number): ModelRecord {
  const options = MUTATIONS[r.type] as Array<(x: ModelRecord) => ModelRecord>;
  return options[choice % options.length]!(r);
}

/**
 * Two scans: `b` keeps part of `a` unchanged, drops part, edits one field of part, and adds records
 * drawn afresh, some of which share a key with a record of `a` and replace it.
 */
export const scanPairArb: fc.Arbitrary<{ a: ModelRecord[]; b: ModelRecord[] }> = fc
  .tuple(
    recordSetArb,
    fc.uniqueArray(fc.oneof(identityArb, grantArb, credentialArb) as fc.Arbitrary<ModelRecord>, {
      maxLength: 15,
      selector: recordId,
    }),
    fc.array(fc.tuple(fc.constantFrom('keep', 'drop', 'mutate'), fc.nat()), { minLength: 40, maxLength: 40 }),
  )
  .map(([a, fresh, fate]) => {
    const b = new Map<string, ModelRecord>();
    a.forEach((r, i) => {
      const [what, choice] = fate[i]!;
      if (what === 'keep') b.set(recordId(r), r);
      else if (what === 'mutate') {
        const m = mutate(r, choice);
        b.set(recordId(m), m);
      }
    });
    for (const r of fresh) b.set(recordId(r), r);
    return { a, b: [...b.values()] };
  });
