import {
  DISCOVERY,
  factSource,
  METHOD_FACTS,
  type MethodFact,
  type ParamFact,
  STANDARD_PARAMS,
} from '../../src/emulator/google-workspace/discovery-facts.js';
import {
  type GeneratedMethod,
  loadGeneratedClient,
  templateRegex,
} from '../../src/emulator/google-workspace/generated-client.js';
import { FieldSelectionError, parseFields } from '../../src/emulator/google-workspace/partial-response.js';
import { checkValue, unknownSelectedFields } from '../../src/emulator/google-workspace/schema-check.js';
import type { RecordedRequest } from '../../src/emulator/journal.js';

/**
 * Checks a request sent to the Google emulator against Google's machine-readable descriptions:
 *
 * - the generated clients (`@googleapis/admin` directory_v1 and reports_v1, `@googleapis/iam` v1,
 *   `@googleapis/cloudresourcemanager` v3), read at test time: HTTP method, URL template, path and
 *   required parameters, the names of every parameter a method takes, the standard parameters, the
 *   request body and response schemas (all generated from the discovery documents);
 * - the facts the generated code leaves out (ranges, enums, patterns, prose rules), from the discovery
 *   documents themselves: `src/emulator/google-workspace/discovery-facts.ts`, each with its JSON path;
 * - the token endpoint's JWT-bearer grant, from
 *   https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests
 *   ("grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion: The JWT, including signature").
 *
 * Every method the connector may call must have an entry in the facts table: a request matching none
 * is a problem in itself, so a new call cannot slip past the check.
 */
export function checkGoogleWorkspaceRequest(r: RecordedRequest): string[] {
  if (r.pattern === '/token') return checkTokenRequest(r);
  const matched = matchMethod(r);
  if (typeof matched === 'string') return [matched];
  const { fact, generated, pathValues } = matched;
  return [
    ...checkPath(fact, pathValues),
    ...checkQuery(r, fact, generated),
    ...checkRequired(r, fact, generated),
    ...checkFields(r, fact, generated),
    ...checkBody(r, fact, generated),
    ...checkAuthorization(r, fact),
  ];
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_FIELDS = new Set(['grant_type', 'assertion']);

function checkTokenRequest(r: RecordedRequest): string[] {
  const problems: string[] = [];
  const doc = 'developers.google.com/identity/protocols/oauth2/service-account#makingrequest';
  if (r.method !== 'POST') problems.push(`token request must be POST (${doc})`);
  if (!/^application\/x-www-form-urlencoded\b/i.test(r.headers['content-type'] ?? ''))
    problems.push(`token request body must be application/x-www-form-urlencoded (${doc})`);
  const body = r.body;
  if (!body || typeof body !== 'object') return [...problems, `token request has no form body (${doc})`];
  const form = body as Record<string, string>;
  if (form.grant_type !== JWT_BEARER)
    problems.push(`grant_type must be ${JWT_BEARER}, got ${String(form.grant_type)} (${doc})`);
  // The journal replaces the assertion's value; its presence is what a description can check.
  if (!form.assertion) problems.push(`assertion (the signed JWT) is missing (${doc})`);
  for (const k of Object.keys(form))
    if (!TOKEN_FIELDS.has(k)) problems.push(`token request field ${k} is not one Google documents (${doc})`);
  if (r.query.length > 0) problems.push('token request carries query parameters');
  if (r.headers.authorization) problems.push('token request carries an Authorization header');
  return problems;
}

interface Match {
  fact: MethodFact;
  generated: GeneratedMethod;
  pathValues: Record<string, string>;
}

function generatedFor(fact: MethodFact): GeneratedMethod {
  const client = loadGeneratedClient(DISCOVERY[fact.api].client);
  const m = client.find(fact.resource, fact.method);
  if (!m) throw new Error(`${DISCOVERY[fact.api].client} has no ${fact.resource}.${fact.method}`);
  return m;
}

function matchMethod(r: RecordedRequest): Match | string {
  for (const fact of METHOD_FACTS) {
    const generated = generatedFor(fact);
    if (generated.httpMethod !== r.method) continue;
    const { regex, names } = templateRegex(generated.urlTemplate);
    const m = regex.exec(r.path);
    if (!m) continue;
    const pathValues: Record<string, string> = {};
    names.forEach((n, i) => {
      pathValues[n] = decodeURIComponent(m[i + 1]!);
    });
    // Reserved expansions ({+name}) are told apart by their discovery pattern (`v1/{+name}/keys` is
    // keys.list for service accounts, but also keys of workforce pool providers).
    const patternsHold = names.every((n) => {
      const p = fact.params[n]?.pattern;
      return !generated.urlTemplate.includes(`{+${n}}`) || !p || new RegExp(p).test(pathValues[n]!);
    });
    if (patternsHold) return { fact, generated, pathValues };
  }
  return `${r.method} ${r.path} matches no method of the Google API descriptions the connector may call (discovery-facts.ts METHOD_FACTS): a new call needs its facts from its discovery document`;
}

function checkPath(fact: MethodFact, values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([name, value]) => {
    const p = fact.params[name];
    if (value === '') return [`path parameter ${name} is empty`];
    return p ? valueProblems(name, value, p, factSource(fact, name)) : [];
  });
}

function valueProblems(name: string, value: string, p: ParamFact, where: string): string[] {
  if (p.type === 'integer') {
    if (!/^-?\d+$/.test(value)) return [`${name}=${value} is not an integer (${where})`];
    const n = Number(value);
    if (p.minimum !== undefined && n < p.minimum)
      return [`${name}=${value} is below the minimum ${p.minimum} (${where})`];
    if (p.maximum !== undefined && n > p.maximum)
      return [`${name}=${value} is above the maximum ${p.maximum} (${where})`];
  }
  if (p.type === 'boolean' && value !== 'true' && value !== 'false')
    return [`${name}=${value} is not a boolean (${where})`];
  if (p.enum && !p.enum.includes(value))
    return [`${name}=${value} is not one of ${p.enum.join(', ')} (${where})`];
  if (p.pattern && !new RegExp(p.pattern.startsWith('^') ? p.pattern : `^(?:${p.pattern})$`).test(value))
    return [`${name}=${value} does not match the pattern ${p.pattern} (${where})`];
  return [];
}

function checkQuery(r: RecordedRequest, fact: MethodFact, generated: GeneratedMethod): string[] {
  const client = loadGeneratedClient(DISCOVERY[fact.api].client);
  const own = new Set(generated.params.filter((p) => !generated.pathParams.includes(p)));
  const standard = new Set(client.standardParams);
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const [name, value] of r.query) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (!own.has(name) && !standard.has(name)) {
      problems.push(
        `query parameter ${name} is not a parameter of ${fact.id} (Params$Resource$${generated.resource}$… in ${DISCOVERY[fact.api].client}.d.ts) nor a standard parameter`,
      );
      continue;
    }
    const p = own.has(name) ? fact.params[name] : STANDARD_PARAMS[name];
    if (!p) {
      problems.push(
        `${fact.id} parameter ${name} has no entry in discovery-facts.ts (add it from ${factSource(fact)})`,
      );
      continue;
    }
    problems.push(
      ...valueProblems(
        name,
        value,
        p,
        own.has(name) ? factSource(fact, name) : `${DISCOVERY[fact.api].id} parameters.${name}`,
      ),
    );
  }
  for (const [name, n] of counts) {
    if (n > 1 && !fact.params[name]?.repeated)
      problems.push(
        `query parameter ${name} given ${n} times; it is not repeated in ${factSource(fact, name)}`,
      );
  }
  if (fact.id === 'iam.projects.serviceAccounts.keys.list') {
    const types = r.query.filter(([k]) => k === 'keyTypes').map(([, v]) => v);
    if (types.includes('KEY_TYPE_UNSPECIFIED'))
      problems.push(`keyTypes=KEY_TYPE_UNSPECIFIED is refused (${fact.rules[0]!.source})`);
    if (new Set(types).size !== types.length)
      problems.push(`keyTypes repeats a value (${fact.rules[1]!.source})`);
  }
  return problems;
}

function checkRequired(r: RecordedRequest, fact: MethodFact, generated: GeneratedMethod): string[] {
  const given = new Set(r.query.map(([k]) => k));
  const problems = generated.requiredParams
    .filter((p) => !generated.pathParams.includes(p) && !given.has(p))
    .map((p) => `required parameter ${p} is missing (${DISCOVERY[fact.api].client} requiredParams)`);
  if (fact.id === 'directory.users.list' && !given.has('customer') && !given.has('domain'))
    problems.push(`neither customer nor domain given (${fact.rules[0]!.source})`);
  return problems;
}

function checkFields(r: RecordedRequest, fact: MethodFact, generated: GeneratedMethod): string[] {
  const fields = r.query.find(([k]) => k === 'fields')?.[1];
  if (fields === undefined) return [];
  // Grammar: https://developers.google.com/workspace/admin/directory/v1/guides/performance#partial-response
  let selection: ReturnType<typeof parseFields>;
  try {
    selection = parseFields(fields);
  } catch (err) {
    if (err instanceof FieldSelectionError) return [`fields=${fields}: ${err.message}`];
    throw err;
  }
  if (!generated.response) return [`${fact.id} has no response schema to select fields from`];
  const { schemas } = loadGeneratedClient(DISCOVERY[fact.api].client);
  return unknownSelectedFields(selection, generated.response, schemas).map(
    (f) => `fields selects ${f}, which ${generated.response} does not have`,
  );
}

function checkBody(r: RecordedRequest, fact: MethodFact, generated: GeneratedMethod): string[] {
  if (!generated.requestBody) {
    return r.body === null || r.body === '' ? [] : [`${fact.id} takes no request body, but one was sent`];
  }
  if (!/^application\/json\b/i.test(r.headers['content-type'] ?? ''))
    return [`${fact.id} request body must be application/json`];
  const { schemas } = loadGeneratedClient(DISCOVERY[fact.api].client);
  const problems = checkValue(r.body ?? {}, generated.requestBody, schemas, 'body');
  if (fact.id === 'cloudresourcemanager.projects.getIamPolicy') {
    const v = (r.body as { options?: { requestedPolicyVersion?: unknown } } | null)?.options
      ?.requestedPolicyVersion;
    if (v !== undefined && v !== 0 && v !== 1 && v !== 3)
      problems.push(`options.requestedPolicyVersion=${String(v)} (${fact.rules[1]!.source})`);
  }
  return problems;
}

function checkAuthorization(r: RecordedRequest, fact: MethodFact): string[] {
  // Every method lists OAuth 2.0 scopes (`scopes`), so calls carry an OAuth 2.0 bearer token.
  return /^Bearer </.test(r.headers.authorization ?? '')
    ? []
    : [`${fact.id} needs an OAuth 2.0 bearer token (one of ${fact.scopes.join(', ')})`];
}
