import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Credential } from './credential.js';
import { Grant } from './grant.js';
import { Identity } from './identity.js';

export const ModelRecord = z.discriminatedUnion('type', [Identity, Grant, Credential]);
export type ModelRecord = Identity | Grant | Credential;
export type ModelRecordInput = z.input<typeof ModelRecord>;
export type RecordType = ModelRecord['type'];

/** The platform + tenant a record belongs to. Snapshots are versioned per source. */
export function sourceKey(rec: Pick<ModelRecord, 'platform' | 'tenant'>): string {
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

/** Key of a record within its source. Unique per record type. */
export function recordKey(rec: ModelRecord): string {
  switch (rec.type) {
    case 'identity':
      return identityKey(rec);
    case 'grant':
      return grantKey(rec);
    case 'credential':
      return credentialKey(rec);
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
export function contentHash(rec: ModelRecord): string {
  return createHash('sha256').update(canonicalJson(rec)).digest('base64url').slice(0, 22);
}
