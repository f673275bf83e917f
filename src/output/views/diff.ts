import type {
  CredentialRenewal,
  ExpansionChange,
  OwnerChange,
  ScopeExpansion,
  SnapshotDiff,
  SuppressedRemovals,
} from '../../diff/types.js';
import type { Credential, Grant, Identity } from '../../model/index.js';
import type { ScanSummary } from '../../store/store.js';
import { type Column, paint, renderJson, renderRows } from '../format.js';
import { escapeFormatCharactersInJson } from '../safe-text.js';
import { describeFieldChanges } from './change-wording.js';

/** One line of a diff, flattened for tables, csv and markdown. */
interface DiffLine {
  change: string;
  source: string;
  kind: string;
  identity: string;
  detail: string;
}

const identityLabel = (i: Pick<Identity, 'displayName' | 'nativeId'>) =>
  i.displayName ? `${i.displayName} (${i.nativeId})` : i.nativeId;

const grantLabel = (g: Grant) =>
  `${g.permission.name} (${g.permission.access}) on ${g.target.label ?? g.target.id ?? g.target.breadth}${
    g.principal ? ` for ${g.principal.name ?? g.principal.id}` : ''
  } [${g.risk.tier}]`;

const credLabel = (c: Credential) =>
  `${c.credentialType} ${c.displayName ?? c.nativeId}, expires ${c.expiresAt ? c.expiresAt.slice(0, 10) : 'never'}`;

export function describeExpansion(c: ExpansionChange): string {
  switch (c.reason) {
    case 'new-grant':
      return `new grant (${c.after.access}, ${c.after.breadth})`;
    case 'access-level':
      return `access ${c.before} → ${c.after}`;
    case 'target-breadth':
      return `reach ${c.before} → ${c.after}`;
    case 'more-resources':
      return `selection ${c.before} → ${c.after}${c.added.length ? ` (+${c.added.slice(0, 5).join(', ')}${c.added.length > 5 ? ', …' : ''})` : ''}`;
  }
}

function ownerDetail(o: OwnerChange): string {
  const parts = [
    ...o.added.map((p) => `+${p.name ?? p.id}`),
    ...o.removed.map((p) => `-${p.name ?? p.id}`),
    ...o.becameInactive.map((p) => `${p.name ?? p.id} now inactive`),
  ];
  return `${parts.join(', ')}; ${o.activeOwners} active owner${o.activeOwners === 1 ? '' : 's'} left`;
}

/** One line for collectors of one source that failed alike (a tenant that stopped fails them all with one reason). */
function suppressedDetail(group: readonly SuppressedRemovals[]): string {
  // The collector that met the failure words it best; the others were "not reached" after it.
  const s = group.find((x) => !x.reason?.startsWith('not reached: ')) ?? group[0]!;
  const n = group.reduce((sum, x) => sum + x.removals.identity + x.removals.grant + x.removals.credential, 0);
  return `${group.map((x) => x.collector).join(', ')} ${s.status} in the ${s.scan === 'after' ? 'newer' : 'older'} scan${s.reason ? ` (${s.reason})` : ''}: ${n} possible removal${n === 1 ? '' : 's'} not reported`;
}

/** Suppressed removals grouped by source, scan, status and reason, in their order. */
function groupSuppressed(list: readonly SuppressedRemovals[]): SuppressedRemovals[][] {
  const groups = new Map<string, SuppressedRemovals[]>();
  for (const s of list) {
    // A collector "not reached" after the one that stopped its tenant says the same thing.
    const reason = (s.reason ?? '').replace(/^not reached: /, '');
    const key = JSON.stringify([s.source, s.scan, s.status, reason]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

export function diffLines(d: SnapshotDiff): DiffLine[] {
  const lines: DiffLine[] = [];
  /** A line about a record: kind and identity come from the record (its own, or the identity it belongs to). */
  const add = (change: string, source: string, r: Identity | Grant | Credential, detail: string) =>
    lines.push(
      r.type === 'identity'
        ? { change, source, kind: r.kind, identity: identityLabel(r), detail }
        : { change, source, kind: r.identity.kind, identity: r.identity.nativeId, detail },
    );
  // Baseline additions (a collector scanned for the first time) are noise in a change listing.
  for (const a of d.identities.added)
    if (!a.baseline) add('identity added', a.source, a.record, a.record.origin);
  for (const r of d.identities.removed) add('identity removed', r.source, r.record, '');
  for (const m of d.identities.modified) {
    const what = describeFieldChanges(m.before, m.after, m.fields);
    if (what) add('identity changed', m.source, m.after, what);
  }
  for (const e of d.scopeExpansions) {
    // A grant new to an existing identity is a grant added: "scope widened … new grant" said it twice.
    const widened = e.changes.filter((c) => c.reason !== 'new-grant');
    if (widened.length === 0) add('grant added', e.source, e.grant, grantLabel(e.grant));
    else
      add(
        'scope widened',
        e.source,
        e.grant,
        `${grantLabel(e.grant)}: ${widened.map(describeExpansion).join('; ')}`,
      );
  }
  const expanded = new Set(d.scopeExpansions.map((e) => `${e.source}\u0000${e.key}`));
  for (const a of d.grants.added) {
    if (!a.baseline && !expanded.has(`${a.source}\u0000${a.key}`))
      add('grant added', a.source, a.record, grantLabel(a.record));
  }
  for (const r of d.grants.removed) add('grant removed', r.source, r.record, grantLabel(r.record));
  for (const m of d.grants.modified) {
    const what = describeFieldChanges(m.before, m.after, m.fields);
    if (!expanded.has(`${m.source}\u0000${m.key}`) && what) {
      add('grant changed', m.source, m.after, `${grantLabel(m.after)}: ${what}`);
    }
  }
  for (const a of d.credentials.added)
    if (!a.baseline) add('credential added', a.source, a.record, credLabel(a.record));
  for (const r of d.credentials.removed) add('credential removed', r.source, r.record, credLabel(r.record));
  for (const r of d.credentials.renewed) {
    const until = r.after.expiresAt ? r.after.expiresAt.slice(0, 10) : 'never';
    add('credential renewed', r.source, r.after, `${credLabel(r.before)} → ${until}`);
  }
  for (const m of d.credentials.modified) {
    const what = describeFieldChanges(m.before, m.after, m.fields);
    if (what) add('credential changed', m.source, m.after, `${credLabel(m.after)}: ${what}`);
  }
  for (const o of d.ownerChanges) add('owners changed', o.source, o.identity, ownerDetail(o));
  for (const group of groupSuppressed(d.suppressed)) {
    lines.push({
      change: 'not compared',
      source: group[0]!.source,
      kind: '',
      identity: '',
      detail: suppressedDetail(group),
    });
  }
  return lines;
}

const COLUMNS: Column<DiffLine>[] = [
  { header: 'Change', value: (l) => l.change, noWrap: true },
  { header: 'Source', value: (l) => l.source },
  { header: 'Kind', value: (l) => l.kind, hideBelow: 140 },
  { header: 'Identity', value: (l) => l.identity },
  { header: 'Detail', value: (l) => l.detail },
];

const CHANGE_COLOR: Record<string, string> = {
  'identity added': 'yellow',
  'grant added': 'yellow',
  'scope widened': 'red',
  'not compared': 'magenta',
  'owners changed': 'yellow',
};

const lite = <T extends { raw?: unknown }>(r: T): Omit<T, 'raw'> => {
  const { raw: _raw, ...rest } = r;
  return rest;
};

/** JSON shape of a diff: the model records without raw API objects, plus counts and suppressions. */
export function summariseDiff(d: SnapshotDiff) {
  const expansion = (e: ScopeExpansion) => ({
    source: e.source,
    identity: e.grant.identity,
    permission: e.grant.permission,
    target: e.grant.target,
    risk: e.grant.risk,
    changes: e.changes,
  });
  const renewal = (r: CredentialRenewal) => ({
    source: r.source,
    identity: r.after.identity,
    credentialType: r.credentialType,
    before: lite(r.before),
    after: lite(r.after),
  });
  return {
    counts: d.counts,
    identities: {
      added: d.identities.added
        .filter((a) => !a.baseline)
        .map((a) => ({ source: a.source, ...lite(a.record) })),
      removed: d.identities.removed.map((r) => ({ source: r.source, ...lite(r.record) })),
      modified: d.identities.modified.map((m) => ({
        source: m.source,
        fields: m.fields,
        before: lite(m.before),
        after: lite(m.after),
      })),
    },
    grants: {
      added: d.grants.added.filter((a) => !a.baseline).map((a) => ({ source: a.source, ...lite(a.record) })),
      removed: d.grants.removed.map((r) => ({ source: r.source, ...lite(r.record) })),
      modified: d.grants.modified.map((m) => ({
        source: m.source,
        fields: m.fields,
        before: lite(m.before),
        after: lite(m.after),
      })),
    },
    scopeExpansions: d.scopeExpansions.map(expansion),
    credentials: {
      added: d.credentials.added
        .filter((a) => !a.baseline)
        .map((a) => ({ source: a.source, ...lite(a.record) })),
      removed: d.credentials.removed.map((r) => ({ source: r.source, ...lite(r.record) })),
      renewed: d.credentials.renewed.map(renewal),
    },
    ownerChanges: d.ownerChanges.map((o) => ({
      source: o.source,
      identity: { kind: o.identity.kind, id: o.identity.nativeId, name: o.identity.displayName },
      added: o.added,
      removed: o.removed,
      becameInactive: o.becameInactive,
      activeOwners: o.activeOwners,
    })),
    notCompared: d.suppressed,
  };
}
export type DiffSummary = ReturnType<typeof summariseDiff>;

/** A few lines for the end of `scan`: counts, then the change table when it is short. */
export function renderDiffSummary(d: SnapshotDiff, color = false): string {
  const c = d.counts;
  const parts = [
    `identities +${c.identities.added - countBaseline(d, 'identity')} -${c.identities.removed} ~${c.identities.modified}`,
    `grants +${c.grants.added - countBaseline(d, 'grant')} -${c.grants.removed} ~${c.grants.modified}`,
    `scope widened ${c.scopeExpansions}`,
    `credentials +${c.credentials.added} -${c.credentials.removed} renewed ${c.credentials.renewed}`,
    `owner changes ${c.ownerChanges}`,
  ];
  const lines = diffLines(d);
  const head = `  ${parts.join(' · ')}\n`;
  if (lines.length === 0) return `${head}  No changes.\n`;
  if (lines.length > 25) return `${head}  ${lines.length} changes; see \`grantscope diff\`.\n`;
  return (
    head +
    renderRows('table', lines, COLUMNS, {
      color: (row, text, i) =>
        i === 0 ? paint(color, CHANGE_COLOR[(row as DiffLine).change] ?? '', text) : text,
    })
  );
}

function countBaseline(d: SnapshotDiff, type: 'identity' | 'grant'): number {
  const list = type === 'identity' ? d.identities.added : d.grants.added;
  return list.filter((a) => a.baseline).length;
}

/** The formats `diff` writes: the common ones, and JSON Lines (one change per line, for log pipelines). */
export const DIFF_FORMATS = ['table', 'json', 'jsonl', 'csv', 'md'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** Sources a table title names before it says how many more there are. */
const TITLE_SOURCES = 8;

export function renderDiff(
  d: SnapshotDiff,
  format: DiffFormat,
  options: {
    from: ScanSummary;
    to: ScanSummary;
    color?: boolean;
    /**
     * When each source was compared between scans of its own (a round of one scan per tenant): which.
     * `from`/`to` are then the newest of them; json lists these as `sources`, the table's title names them.
     */
    sources?: ReadonlyArray<{ source: string; from: number; to: number }>;
  },
): string {
  const sources = options.sources;
  if (format === 'json')
    return renderJson({
      from: options.from.id,
      to: options.to.id,
      ...(sources && { sources }),
      ...summariseDiff(d),
    });
  const lines = diffLines(d);
  if (format === 'jsonl') {
    return lines
      .map(
        (l) =>
          `${escapeFormatCharactersInJson(JSON.stringify({ from: options.from.id, to: options.to.id, ...l }))}\n`,
      )
      .join('');
  }
  if (format !== 'table') return renderRows(format, lines, COLUMNS);
  const title = sources
    ? `Each of ${sources.length} sources, its newest scan against its previous one: ${sources
        .slice(0, TITLE_SOURCES)
        .map((x) => `${x.source} #${x.from} → #${x.to}`)
        .join(
          ', ',
        )}${sources.length > TITLE_SOURCES ? `, and ${sources.length - TITLE_SOURCES} more (--format json lists them)` : ''}\n`
    : `Scan #${options.from.id} (${options.from.startedAt}) → scan #${options.to.id} (${options.to.startedAt})\n`;
  if (lines.length === 0) return `${title}No changes.\n`;
  return (
    title +
    renderRows('table', lines, COLUMNS, {
      color: (row, text, i) =>
        i === 0 ? paint(options.color ?? false, CHANGE_COLOR[(row as DiffLine).change] ?? '', text) : text,
    })
  );
}

/**
 * `diff` when the scan is the first: nothing to compare yet (exit 0, so a first nightly `scan && diff`
 * passes). json says so in a field scripts can test; csv is the header alone.
 */
export function renderFirstScan(to: ScanSummary, format: DiffFormat): string {
  if (format === 'jsonl') return '';
  if (format === 'json') return renderJson({ from: null, to: to.id, nothingToCompare: true });
  if (format === 'csv') return renderRows('csv', [], COLUMNS);
  const text = `Nothing to compare yet: scan #${to.id} is the first scan; the next scan will be compared with it.`;
  return `${text}\n`;
}
