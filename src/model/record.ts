import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Credential } from './credential.js';
import { Grant } from './grant.js';
import { Identity } from './identity.js';
import { Person } from './person.js';

/** The inventory's records: what snapshots, diffs and rules are made of. */
export const ModelRecord = z.discriminatedUnion('type', [Identity, Grant, Credential]);
export type ModelRecord = Identity | Grant | Credential;
export type RecordType = ModelRecord['type'];
/**
 * What a scan stores: the inventory's records and the platform's people (optional for a connector to
 * emit), which governance reads owners' statuses from but which belong to no identity's inventory.
 */
export const ScanRecord = z.discriminatedUnion('type', [Identity, Grant, Credential, Person]);
export type ScanRecord = ModelRecord | Person;
export type ScanRecordType = ScanRecord['type'];
/** What a collector may emit (before defaults are applied). */
export type ModelRecordInput = z.input<typeof ScanRecord>;

/** The platform + tenant a record belongs to. Snapshots are versioned per source. */
export function sourceKey(rec: Pick<ScanRecord, 'platform' | 'tenant'>): string {
  return `${rec.platform}:${rec.tenant.id}`;
}

export function identityKey(ref: { kind: string; nativeId: string }): string {
  return `${ref.kind}:${ref.nativeId}`;
}

/**
 * A grant's key identifies "the same grant" across scans. It leaves out the access level and, for
 * broad targets, the selection itself, so that read→write or selected→all show up as a change of
 * one grant (scope widening) rather than one grant removed and another added.
 */
export function grantKey(g: Pick<Grant, 'identity' | 'permission' | 'principal' | 'target'>): string {
  const targetPart =
    g.target.breadth === 'user' || g.target.breadth === 'resource' ? (g.target.id ?? '') : '';
  return [
    identityKey(g.identity),
    g.permission.resource ?? '',
    g.permission.id,
    g.principal?.id ?? '',
    targetPart,
  ].join('|');
}

export function credentialKey(c: Pick<Credential, 'identity' | 'credentialType' | 'nativeId'>): string {
  return `${identityKey(c.identity)}|${c.credentialType}|${c.nativeId}`;
}

/** A person's key: the platform's user id (a login, UPN or email can be renamed). */
export function personKey(p: Pick<Person, 'nativeId'>): string {
  return `person:${p.nativeId}`;
}

/** Key of a record within its source. Unique per record type. */
export function recordKey(rec: ModelRecord): string;
export function recordKey(rec: ScanRecord): string;
export function recordKey(rec: ScanRecord): string {
  switch (rec.type) {
    case 'identity':
      return identityKey(rec);
    case 'grant':
      return grantKey(rec);
    case 'credential':
      return credentialKey(rec);
    case 'person':
      return personKey(rec);
  }
}

/** JSON with object keys sorted, so equal records hash equally whatever order the API sent fields in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Content hash of a record: a new version is stored only when this changes. */
export function contentHash(rec: ScanRecord): string {
  return createHash('sha256').update(canonicalJson(rec)).digest('base64url').slice(0, 22);
}
