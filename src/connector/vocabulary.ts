import { z } from 'zod';
import { RiskTier } from '../model/common.js';

const Term = z.strictObject({
  /** How people call it, as finding titles print it (`GitHub App installation`, `client secret`). */
  label: z.string().min(1),
});

/**
 * One permission or scope in a connector's risk catalog (`connectors/<platform>/risk-catalog.json`):
 * its risk tier and the reason, with the source that says so. Connectors extend it with their own ids.
 */
export const PermissionCatalogEntry = z.object({
  permission: z.string(),
  /** The platform's sort of permission (`app-permission`, `app-role`, `oauth-scope`, …). */
  kind: z.string(),
  level: z.string(),
  risk: RiskTier.exclude(['unknown']),
  reason: z.string(),
  source: z.string(),
});

/** A risk catalog file: versioned, so that findings can say which catalog judged them. */
export function permissionCatalog<E extends z.ZodType>(entry: E) {
  return z.object({ catalogVersion: z.string(), entries: z.array(entry) });
}

/** A connector's rule settings, in the policy file's shape: `{ <rule id>: { <setting>: value } }`. */
export const PolicyDefaults = z.record(z.string().min(1), z.record(z.string().min(1), z.unknown()));
export type PolicyDefaults = z.infer<typeof PolicyDefaults>;

/**
 * How a connector names what it collects, and the rule settings that suit its platform. The engine
 * knows no platform: finding titles take their labels from here, and the policy's defaults for
 * platform things (which kinds have no owner, how long a client secret may live) come from here,
 * beneath whatever the user's policy file says.
 *
 * A built-in connector declares it in its `risk.ts`, which imports no SDK, so that commands which only
 * read the store can load it without loading the SDKs. A plugin sets it on its `Connector`.
 */
export const ConnectorVocabulary = z.strictObject({
  /** Every identity kind the connector emits. A kind without a label prints as its id, dashes as spaces. */
  identityKinds: z.record(z.string().min(1), Term),
  /** Every credential type the connector emits. */
  credentialTypes: z.record(z.string().min(1), Term),
  /**
   * Defaults for rule settings (`{ ownerless: { excludeKinds: ['webhook'] } }`). Lists from several
   * connectors are joined and maps merged (the first connector wins a conflicting value); the user's
   * policy file replaces lists and merges maps, as it does the rules' own defaults.
   */
  policyDefaults: PolicyDefaults.optional(),
});
export type ConnectorVocabulary = z.infer<typeof ConnectorVocabulary>;

/** The vocabularies of every loaded connector, merged: where the engine reads labels and policy defaults. */
export interface Vocabulary {
  /** The loaded connectors' platforms, in load order (built-ins first). */
  readonly platforms: readonly string[];
  /** Label per identity kind (where two connectors label the same kind, the first loaded wins). */
  readonly identityKinds: ReadonlyMap<string, string>;
  /** Label per credential type (first loaded wins, likewise). */
  readonly credentialTypes: ReadonlyMap<string, string>;
  /** Each connector's policy defaults, in load order, with its platform for error messages. */
  readonly policyDefaults: readonly { readonly platform: string; readonly defaults: PolicyDefaults }[];
}

/** Merge the vocabularies of loaded connectors (a connector without one contributes its platform only). */
export function combineVocabularies(
  connectors: readonly { readonly platform: string; readonly vocabulary?: ConnectorVocabulary | undefined }[],
): Vocabulary {
  const platforms: string[] = [];
  const identityKinds = new Map<string, string>();
  const credentialTypes = new Map<string, string>();
  const policyDefaults: { platform: string; defaults: PolicyDefaults }[] = [];
  for (const { platform, vocabulary } of connectors) {
    if (!platforms.includes(platform)) platforms.push(platform);
    if (!vocabulary) continue;
    for (const [kind, term] of Object.entries(vocabulary.identityKinds))
      if (!identityKinds.has(kind)) identityKinds.set(kind, term.label);
    for (const [type, term] of Object.entries(vocabulary.credentialTypes))
      if (!credentialTypes.has(type)) credentialTypes.set(type, term.label);
    if (vocabulary.policyDefaults) policyDefaults.push({ platform, defaults: vocabulary.policyDefaults });
  }
  return { platforms, identityKinds, credentialTypes, policyDefaults };
}

/** `GitHub App installation`; a kind no connector labels prints as its id with dashes as spaces. */
export function kindLabel(vocabulary: Vocabulary, kind: string): string {
  return vocabulary.identityKinds.get(kind) ?? kind.replaceAll('-', ' ');
}

/** `client secret`; a type no connector labels prints as its id with dashes as spaces. */
export function credentialTypeLabel(vocabulary: Vocabulary, type: string): string {
  return vocabulary.credentialTypes.get(type) ?? type.replaceAll('-', ' ');
}
