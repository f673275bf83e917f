import { credentialTypeLabel, kindLabel, type Vocabulary } from '../connector/vocabulary.js';
import type { Credential, Grant, Target } from '../model/index.js';
import type { BundleIdentity } from './bundle-facts.js';

/**
 * `"Acme CI" (GitHub App installation)`, or `service principal 6f1c…` when it has no name. Kinds are
 * labelled by the connectors' vocabularies.
 */
export function identityLabel(id: BundleIdentity, vocabulary: Vocabulary): string {
  const kind = kindLabel(vocabulary, id.kind);
  return id.name ? `"${id.name}" (${kind})` : `${kind} ${id.nativeId}`;
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Where to act: the identity's own admin page when the connector knows it. */
export function whereToManage(id: BundleIdentity): string {
  return id.manageUrl ? `at ${id.manageUrl}` : `in the ${id.platform} admin settings for ${id.tenant}`;
}

function plural(word: string, n: number): string {
  if (n === 1 || word.endsWith('s')) return word;
  return word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`;
}

/** `on all repositories`, `on 3 selected repositories`, `tenant-wide`, `on acme/api`. */
export function describeTarget(t: Target): string {
  switch (t.breadth) {
    case 'tenant':
      return 'tenant-wide';
    case 'all':
      return `on all ${plural(t.type, 2)}`;
    case 'selected': {
      const n = t.count ?? t.resources.length;
      return `on ${n} selected ${plural(t.type, n)}`;
    }
    case 'resource':
      return `on ${t.label ?? t.id ?? t.type}`;
    case 'user':
      return `on ${t.label ?? t.id ?? "one user's"} data`;
  }
}

/** `Mail.ReadWrite (write) tenant-wide`, `contents (write) on all repositories, for alice`. */
export function describeGrant(g: Grant): string {
  const who = g.principal ? `, for ${g.principal.name ?? g.principal.id}` : '';
  return `${g.permission.name} (${g.permission.access}) ${describeTarget(g.target)}${who}`;
}

export function describeCredential(c: Credential, vocabulary: Vocabulary): string {
  const label = credentialTypeLabel(vocabulary, c.credentialType);
  return c.displayName ? `${label} "${c.displayName}"` : `${label} ${c.nativeId}`;
}

/** First `max` items joined, with `and N more`. */
export function listSome(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `1 day`, `12 days`. */
export function dayCount(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}
