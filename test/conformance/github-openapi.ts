import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * GitHub's REST description as GitHub publishes it (github/rest-api-description, shipped on npm as
 * `@octokit/openapi`): `api.github.com.json`, and `ghec.json` for the GitHub Enterprise Cloud-only
 * operations (credential authorizations). Used by the request-conformance check, by the emulator's
 * response tests and by the connector's contract tests. Loaded on first use (~14 MB each).
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

export interface OpenapiParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Json;
}

export interface OpenapiOperation {
  operationId: string;
  description?: string;
  parameters?: Array<OpenapiParameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses: Record<
    string,
    { $ref?: string; content?: Record<string, { schema?: Json; examples?: Record<string, Json> }> }
  >;
  externalDocs?: { url: string };
  'x-github'?: { enabledForGitHubApps?: boolean; githubCloudOnly?: boolean };
}

export interface OpenapiDocument {
  paths: Record<string, Record<string, OpenapiOperation>>;
  components: {
    parameters: Record<string, OpenapiParameter>;
    responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
    examples: Record<string, { value: unknown; summary?: string }>;
    schemas: Record<string, Json>;
  };
}

/** Which description an operation comes from; also the id its schemas are registered under in ajv. */
export type DescriptionId = 'api.github.com' | 'ghec';

export interface FoundOperation {
  description: DescriptionId;
  /** The path template, e.g. `/orgs/{org}/installations`. */
  template: string;
  method: string;
  operation: OpenapiOperation;
  /** Path parameters by name, percent-decoded. */
  pathParams: Record<string, string>;
}

const read = (file: string) =>
  JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve(`@octokit/openapi/generated/${file}`), 'utf8'),
  ) as OpenapiDocument;
const documents: Partial<Record<DescriptionId, OpenapiDocument>> = {};

/**
 * The descriptions, each read when first asked for: ghec.json (14 MB) is consulted only for what
 * api.github.com lacks, which most test files never send.
 */
const descriptions = Object.defineProperties({} as Record<DescriptionId, OpenapiDocument>, {
  'api.github.com': {
    enumerable: true,
    get: () => (documents['api.github.com'] ??= read('api.github.com.json')),
  },
  ghec: { enumerable: true, get: () => (documents.ghec ??= read('ghec.json')) },
});

export function githubDescriptions(): Record<DescriptionId, OpenapiDocument> {
  return descriptions;
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  names: string[];
  literalChars: number;
}

const compiledPaths = new Map<DescriptionId, CompiledPath[]>();

function pathsOf(id: DescriptionId): CompiledPath[] {
  let list = compiledPaths.get(id);
  if (!list) {
    list = Object.keys(githubDescriptions()[id].paths).map((template) => {
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (m) {
            names.push(m[1]!);
            return '([^/]+)';
          }
          return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        })
        .join('');
      return {
        template,
        regex: new RegExp(`^${source}$`),
        names,
        literalChars: template.replace(/\{[^}]+\}/g, '').length,
      };
    });
    // Literal segments win over parameters (`/orgs/{org}/installation` before `/orgs/{org}/{x}`).
    list.sort((a, b) => b.literalChars - a.literalChars);
    compiledPaths.set(id, list);
  }
  return list;
}

/** The operation a method + path (without the GHES `/api/v3` prefix) names, if GitHub documents one. */
export function findOperation(method: string, path: string): FoundOperation | null {
  const docs = githubDescriptions();
  // api.github.com first; ghec only for what api.github.com lacks (GHEC-only operations).
  for (const description of ['api.github.com', 'ghec'] as const) {
    for (const p of pathsOf(description)) {
      const m = p.regex.exec(path);
      if (!m) continue;
      const operation = docs[description].paths[p.template]?.[method.toLowerCase()];
      if (!operation) continue;
      const pathParams: Record<string, string> = {};
      p.names.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(m[i + 1]!);
      });
      return { description, template: p.template, method: method.toLowerCase(), operation, pathParams };
    }
  }
  return null;
}

/** The operation at a template, from whichever description has it. */
export function operationAt(template: string, method: string): FoundOperation {
  const docs = githubDescriptions();
  for (const description of ['api.github.com', 'ghec'] as const) {
    const operation = docs[description].paths[template]?.[method.toLowerCase()];
    if (operation) return { description, template, method: method.toLowerCase(), operation, pathParams: {} };
  }
  throw new Error(`GitHub documents no ${method.toUpperCase()} ${template}`);
}

/** Parameters of an operation with `$ref`s resolved. */
export function parametersOf(found: FoundOperation): OpenapiParameter[] {
  const doc = githubDescriptions()[found.description];
  return (found.operation.parameters ?? []).map((p) =>
    '$ref' in p ? doc.components.parameters[p.$ref.split('/').pop()!]! : p,
  );
}

/**
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a null alternative; local refs point at the
 * description's components as registered in ajv; examples and `x-` extensions are dropped.
 */
export function toJsonSchema(node: unknown, id: DescriptionId): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, id));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.startsWith('#/') ? `${id}${v}` : v;
    else if (k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    else out[k] = toJsonSchema(v, id);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

const registered = new Set<DescriptionId>();

/** The validator instance, with the components of description `id` registered (each on first use). */
function githubAjv(id: DescriptionId): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
  }
  if (!registered.has(id)) {
    ajv.addSchema({ $id: id, components: toJsonSchema(githubDescriptions()[id].components, id) as Json });
    registered.add(id);
  }
  return ajv;
}

/** A validator for an OpenAPI schema found in description `id` (cached by `key`). */
export function schemaValidator(key: string, schema: unknown, id: DescriptionId): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = githubAjv(id).compile(toJsonSchema(schema, id) as Json);
    compiled.set(key, v);
  }
  return v;
}

/**
 * The JSON schema of a documented response (following `#/components/responses/…`), or null when
 * the operation documents no such status.
 */
export function responseSchema(found: FoundOperation, status: number): Json | null {
  const doc = githubDescriptions()[found.description];
  let response = found.operation.responses[String(status)];
  if (response?.$ref) response = doc.components.responses[response.$ref.split('/').pop()!];
  return (response?.content?.['application/json']?.schema as Json | undefined) ?? null;
}

/** Validator for a documented response of an operation; throws when the status is not documented. */
export function responseValidator(found: FoundOperation, status: number): ValidateFunction {
  const schema = responseSchema(found, status);
  if (!schema) {
    throw new Error(`${found.method.toUpperCase()} ${found.template} documents no ${status} JSON response`);
  }
  return schemaValidator(`${found.method} ${found.template} ${status}`, schema, found.description);
}

/** GitHub's `basic-error`: the body of errors an operation does not document separately. */
export function basicErrorValidator(): ValidateFunction {
  return schemaValidator('basic-error', { $ref: '#/components/schemas/basic-error' }, 'api.github.com');
}

/** A published example response of an operation, with where it came from. */
export interface PublishedExample {
  value: unknown;
  /** e.g. `api.github.com.json#/components/examples/installation-paginated` */
  source: string;
  operationId: string;
}

export function publishedExample(
  template: string,
  method: string,
  status = 200,
  name = 'default',
): PublishedExample {
  const found = operationAt(template, method);
  const doc = githubDescriptions()[found.description];
  const entry = found.operation.responses[String(status)]?.content?.['application/json']?.examples?.[name] as
    | { $ref?: string; value?: unknown }
    | undefined;
  if (!entry) throw new Error(`${found.operation.operationId} publishes no '${name}' example for ${status}`);
  const file = `${found.description}.json`;
  if (entry.$ref) {
    const key = entry.$ref.split('/').pop()!;
    return {
      value: structuredClone(doc.components.examples[key]!.value),
      source: `${file}#/components/examples/${key}`,
      operationId: found.operation.operationId,
    };
  }
  return {
    value: structuredClone(entry.value),
    source: `${file}#/paths/${template}/${method}/responses/${status}/examples/${name}`,
    operationId: found.operation.operationId,
  };
}
