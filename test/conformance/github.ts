import {
  coerceInputValue,
  type DocumentNode,
  isInputType,
  isNonNullType,
  type OperationDefinitionNode,
  parse,
  typeFromAST,
  validate,
} from 'graphql';
import { MAX_PAGE, queryLimits } from '../../src/emulator/github/graphql-limits.js';
import { githubGraphqlSchema } from '../../src/emulator/github/graphql-schema.js';
import type { RecordedRequest } from '../../src/emulator/journal.js';
import {
  type FoundOperation,
  findOperation,
  type OpenapiParameter,
  parametersOf,
  schemaValidator,
} from './github-openapi.js';

/**
 * Every request the GitHub emulator received, checked against what GitHub publishes, not against
 * the emulator:
 * - REST (served under the GHES-style `/api/v3` prefix, stripped here) against GitHub's OpenAPI
 *   description (`@octokit/openapi`: api.github.com.json, ghec.json for GHEC-only operations): the
 *   path template and method are an operation; every query parameter is declared for it and its
 *   value fits the parameter's schema (type, enum, and the "(max 100)" its description states for
 *   `per_page`); required parameters are present; a JSON body fits the `requestBody` schema; and the
 *   credential is one the operation takes (the app's JWT only where the description says "You must
 *   use a JWT to access this endpoint"; an installation token only where `x-github.enabledForGitHubApps`
 *   is true and no JWT is required; a user token nowhere "Only GitHub Apps can use this endpoint").
 * - GraphQL POST bodies: parsed and validated against GitHub's public schema
 *   (`@octokit/graphql-schema`), variables coerced to their declared types, `first`/`last` within
 *   1-100 on every connection and at most 500,000 nodes, computed as
 *   docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api documents.
 */
const REST_PREFIX = '/api/v3';
const GRAPHQL_PATH = '/api/graphql';

/** docs.github.com/rest/about-the-rest-api/api-versions: the versions GitHub serves. */
const API_VERSIONS = ['2022-11-28', '2026-03-10'];

type AuthKind = 'jwt' | 'installation' | 'user' | null;

function authKind(headers: Record<string, string>): AuthKind {
  const value = headers.authorization;
  if (!value) return null;
  if (value.endsWith('<jwt>')) return 'jwt';
  if (value.includes('<opaque:ghs>')) return 'installation';
  return 'user';
}

function describeOperation(found: FoundOperation): string {
  return `${found.operation.operationId} (${found.description}.json ${found.method.toUpperCase()} ${found.template})`;
}

/** A query or path value (always a string on the wire) as the type its schema declares. */
function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function checkValue(
  found: FoundOperation,
  param: OpenapiParameter,
  raw: string | string[],
  problems: string[],
): void {
  const schema = { ...(param.schema ?? {}) } as Record<string, unknown>;
  // The per-page parameter's schema has no maximum; its description states it: "(max 100)".
  const max = /\(max (\d+)\)/.exec(param.description ?? '');
  if (max && (schema.type === 'integer' || schema.type === 'number') && schema.maximum === undefined) {
    schema.maximum = Number(max[1]);
  }
  const value =
    schema.type === 'array'
      ? (Array.isArray(raw) ? raw : [raw]).map((v) => coerce(v, schema.items as Record<string, unknown>))
      : coerce(Array.isArray(raw) ? raw[0]! : raw, schema);
  const validate = schemaValidator(
    `param ${found.description} ${found.method} ${found.template} ${param.in} ${param.name}`,
    schema,
    found.description,
  );
  if (!validate(value)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || 'value'} ${e.message}`).join('; ');
    problems.push(
      `${param.in} parameter ${param.name}=${JSON.stringify(raw)} does not fit its schema (${why}) in ${describeOperation(found)}`,
    );
  }
}

function checkAuth(found: FoundOperation, kind: AuthKind, problems: string[]): void {
  if (kind === null) return;
  const description = found.operation.description ?? '';
  const jwtOnly = /You must use a \[JWT\]/.test(description);
  const appsOnly = /Only GitHub Apps can use this endpoint/.test(description);
  const forApps = found.operation['x-github']?.enabledForGitHubApps === true;
  const op = describeOperation(found);
  if (kind === 'jwt' && !jwtOnly) {
    problems.push(
      `sends the app's JWT to ${op}, whose description does not say "You must use a JWT to access this endpoint" (docs: "Authenticating as a GitHub App")`,
    );
  }
  if (kind === 'installation' && jwtOnly) {
    problems.push(`sends an installation token to ${op}: "You must use a JWT to access this endpoint"`);
  }
  if (kind === 'installation' && !jwtOnly && !forApps) {
    problems.push(
      `sends an installation token to ${op}, which does not work with GitHub Apps (x-github.enabledForGitHubApps: false)`,
    );
  }
  if (kind === 'user' && (jwtOnly || appsOnly)) {
    problems.push(
      `sends a user token to ${op}: ${jwtOnly ? 'it takes the app JWT only' : '"Only GitHub Apps can use this endpoint"'}`,
    );
  }
}

function checkRest(r: RecordedRequest): string[] {
  if (!r.path.startsWith(`${REST_PREFIX}/`)) return [`REST request outside ${REST_PREFIX}: ${r.path}`];
  const path = r.path.slice(REST_PREFIX.length);
  const found = findOperation(r.method, path);
  if (!found) return [`GitHub's OpenAPI description has no operation ${r.method} ${path}`];
  const problems: string[] = [];
  const params = parametersOf(found);

  for (const p of params.filter((x) => x.in === 'path')) {
    const value = found.pathParams[p.name];
    if (value !== undefined) checkValue(found, p, value, problems);
  }

  const query = new Map<string, string[]>();
  for (const [name, value] of r.query) {
    // Array parameters go on the wire as `owner[]=a&owner[]=b`.
    const base = name.replace(/\[\]$/, '');
    query.set(base, [...(query.get(base) ?? []), value]);
  }
  for (const [name, values] of query) {
    const param = params.find((p) => p.in === 'query' && p.name === name);
    if (!param) {
      problems.push(`query parameter '${name}' is not declared for ${describeOperation(found)}`);
      continue;
    }
    if (values.length > 1 && param.schema?.type !== 'array') {
      problems.push(`query parameter '${name}' sent ${values.length} times in ${describeOperation(found)}`);
    }
    checkValue(found, param, param.schema?.type === 'array' ? values : values[0]!, problems);
  }
  for (const p of params.filter((x) => x.in === 'query' && x.required)) {
    if (!query.has(p.name))
      problems.push(`required query parameter '${p.name}' missing in ${describeOperation(found)}`);
  }

  const body = found.operation.requestBody;
  if (r.body !== null && r.body !== undefined) {
    const schema = body?.content?.['application/json']?.schema;
    if (!schema) {
      problems.push(`sends a body to ${describeOperation(found)}, which takes none`);
    } else {
      const validate = schemaValidator(
        `body ${found.description} ${found.method} ${found.template}`,
        schema,
        found.description,
      );
      if (!validate(r.body)) {
        const why = (validate.errors ?? []).map((e) => `${e.instancePath || 'body'} ${e.message}`).join('; ');
        problems.push(`body does not fit the requestBody schema of ${describeOperation(found)}: ${why}`);
      }
    }
  } else if (body?.required) {
    problems.push(`${describeOperation(found)} requires a body`);
  }

  checkAuth(found, authKind(r.headers), problems);
  const version = r.headers['x-github-api-version'];
  if (version && !API_VERSIONS.includes(version)) {
    problems.push(
      `X-GitHub-Api-Version ${version} is not a version GitHub serves (${API_VERSIONS.join(', ')})`,
    );
  }
  return problems;
}

function checkGraphql(r: RecordedRequest): string[] {
  if (r.method !== 'POST')
    return [`GraphQL is called with POST (docs "Forming calls with GraphQL"), not ${r.method}`];
  const body = r.body as { query?: unknown; variables?: unknown; operationName?: unknown } | null;
  if (!body || typeof body !== 'object' || typeof body.query !== 'string') {
    return ['GraphQL body has no query string'];
  }
  const problems: string[] = [];
  if (authKind(r.headers) === 'jwt') {
    problems.push(
      `GraphQL called with the app's JWT: "The GraphQL API does not support any queries or mutations that require you to authenticate as an app" (docs "Authenticating as a GitHub App")`,
    );
  }
  let doc: DocumentNode;
  try {
    doc = parse(body.query);
  } catch (err) {
    return [...problems, `GraphQL query does not parse: ${(err as Error).message}`];
  }
  const schema = githubGraphqlSchema();
  const invalid = validate(schema, doc);
  if (invalid.length > 0) {
    return [
      ...problems,
      ...invalid.map((e) => `GraphQL query invalid against GitHub's schema: ${e.message}`),
    ];
  }
  const operationName = typeof body.operationName === 'string' ? body.operationName : null;
  const operations = doc.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return [...problems, 'GraphQL document has no operation to run'];
  const variables = (body.variables ?? {}) as Record<string, unknown>;
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const type = typeFromAST(schema, def.type);
    if (!type || !isInputType(type)) continue; // reported by validate()
    if (!(name in variables)) {
      if (isNonNullType(type) && !def.defaultValue)
        problems.push(`GraphQL variable $${name} (${type}) not provided`);
      continue;
    }
    coerceInputValue(variables[name], type, (path, value, error) => {
      problems.push(
        `GraphQL variable $${name}${path.length ? `.${path.join('.')}` : ''}=${JSON.stringify(value)}: ${error.message}`,
      );
    });
  }

  const limits = queryLimits(schema, doc, variables, operationName);
  for (const issue of limits.issues) problems.push(`${issue.type}: ${issue.message}`);
  // "Values of first and last must be within 1-100" (node limit section); > 100 is reported above.
  for (const c of limits.connections) {
    if (c.size !== null && c.size < 1) {
      problems.push(
        `\`${c.field}\` at ${c.path.join('.')} asks for ${c.size} records; first/last must be within 1-${MAX_PAGE}`,
      );
    }
  }
  return problems;
}

export function checkGithubRequest(request: RecordedRequest): string[] {
  if (request.path === GRAPHQL_PATH) return checkGraphql(request);
  return checkRest(request);
}
