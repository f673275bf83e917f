import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RecordedRequest } from '../../src/emulator/journal.js';

/**
 * Checks a request the Jira emulator received against Atlassian's description of Jira Cloud REST v3
 * (test/conformance/jira-openapi/jira-platform-v3.subset.json: the operations the sink uses, cut from
 * swagger-v3.v3.json; PROVENANCE.md there) and every ADF body against the published ADF JSON Schema
 * (adf-full.schema.json). A request to an operation Jira does not document, or marks deprecated, an
 * unknown or mistyped query parameter, a body the schema refuses, a rich-text field that is not a
 * valid ADF document, or credentials other than basic auth (email + API token) is a violation.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Json;
}

interface Operation {
  operationId: string;
  deprecated?: boolean;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Json }> };
}

interface Description {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

const here = new URL('./jira-openapi/', import.meta.url);
let loaded: { doc: Description; ajv: Ajv; adfSchema: Json; adfValid: ValidateFunction } | undefined;
let adfWithErrors: ValidateFunction | undefined;

export function jiraDescription(): Description {
  return load().doc;
}

function load() {
  if (!loaded) {
    const doc = JSON.parse(
      readFileSync(new URL('jira-platform-v3.subset.json', here), 'utf8'),
    ) as Description;
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'jira', components: toJsonSchema(doc.components) as Json });
    // The ADF schema is draft-04; its keywords here read the same under ajv's default draft.
    const { $schema: _draft, ...adfSchema } = JSON.parse(
      readFileSync(new URL('adf-full.schema.json', here), 'utf8'),
    ) as Json;
    // Every ADF document is checked with a validator that stops at the first error: with allErrors,
    // ajv explores each branch of ADF's nested anyOf for every node (~100 ms a document). The verdict
    // is the same; the full list of errors is computed for a document that fails (adfErrors).
    const quick = new Ajv({ strict: false, allErrors: false, validateSchema: false, logger: false });
    addFormats(quick);
    loaded = { doc, ajv, adfSchema, adfValid: quick.compile(adfSchema) };
  }
  return loaded;
}

/** Every error of an ADF document that failed the quick check (validated again, with allErrors). */
function adfErrors(doc: unknown): NonNullable<ValidateFunction['errors']> {
  const { ajv, adfSchema } = load();
  adfWithErrors ??= ajv.compile(adfSchema);
  adfWithErrors(doc);
  return adfWithErrors.errors ?? [];
}

/** OpenAPI 3.0 → JSON Schema: refs point at the registered components; `x-`, examples dropped. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.startsWith('#/') ? `jira${v}` : v;
    else if (k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    else out[k] = toJsonSchema(v);
  }
  return out;
}

const compiled = new Map<string, ValidateFunction>();

/** The description's path templates as patterns, most literal first (built once: a suite checks thousands). */
let templates: Array<{ template: string; regex: RegExp }> | null = null;

function findOperation(method: string, path: string): { template: string; operation: Operation } | null {
  const { doc } = load();
  templates ??= Object.keys(doc.paths)
    .map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      literal: template.replace(/\{[^}]+\}/g, '').length,
    }))
    .sort((a, b) => b.literal - a.literal);
  for (const c of templates) {
    if (!c.regex.test(path)) continue;
    const operation = doc.paths[c.template]?.[method.toLowerCase()];
    if (operation) return { template: c.template, operation };
  }
  return null;
}

function queryValueProblem(p: Parameter, value: string): string | null {
  const type = p.schema?.type;
  const itemType = (p.schema?.items as Json | undefined)?.type;
  const check = (t: unknown, v: string) => {
    if (t === 'integer' && !/^-?\d+$/.test(v)) return `query ${p.name}=${v}: not an integer`;
    if (t === 'boolean' && v !== 'true' && v !== 'false') return `query ${p.name}=${v}: not a boolean`;
    return null;
  };
  if (type === 'array') {
    for (const part of value.split(',')) {
      const problem = check(itemType, part);
      if (problem) return problem;
    }
    return null;
  }
  return check(type, value);
}

/** The ADF documents a request carries, by where they are. */
function adfBodies(operationId: string, body: unknown): Array<[string, unknown]> {
  const b = (body ?? {}) as Json;
  if (operationId === 'createIssue') {
    const fields = (b.fields ?? {}) as Json;
    return 'description' in fields ? [['fields.description', fields.description]] : [];
  }
  if (operationId === 'addComment') return [['body', b.body]];
  if (operationId === 'doTransition') {
    const ops = ((b.update ?? {}) as Json).comment;
    return Array.isArray(ops)
      ? ops.map((op, i) => [
          `update.comment[${i}].add.body`,
          (op as Json).add && ((op as Json).add as Json).body,
        ])
      : [];
  }
  return [];
}

export function checkJiraRequest(r: RecordedRequest): string[] {
  const found = findOperation(r.method, r.path);
  if (!found) return [`Jira Cloud REST v3 documents no ${r.method} ${r.path}`];
  const { template, operation } = found;
  const problems: string[] = [];
  if (operation.deprecated)
    problems.push(
      `${operation.operationId} is deprecated in the description ("Endpoint is currently being removed")`,
    );
  const auth = r.headers.authorization ?? '';
  if (!auth.startsWith('Basic '))
    problems.push(`authorization must be basic auth (email + API token), got "${auth}"`);
  const params = operation.parameters ?? [];
  for (const [name, value] of r.query) {
    const p = params.find((x) => x.in === 'query' && x.name === name);
    if (!p) {
      problems.push(`${operation.operationId}: unknown query parameter ${name}`);
      continue;
    }
    const problem = queryValueProblem(p, value);
    if (problem) problems.push(`${operation.operationId}: ${problem}`);
  }
  for (const p of params) {
    if (p.in === 'query' && p.required && !r.query.some(([n]) => n === p.name))
      problems.push(`${operation.operationId}: missing required query parameter ${p.name}`);
  }
  if (operation.requestBody) {
    if (r.body === null) {
      if (operation.requestBody.required) problems.push(`${operation.operationId}: request body required`);
    } else {
      if (!String(r.headers['content-type'] ?? '').includes('application/json'))
        problems.push(`${operation.operationId}: content-type must be application/json`);
      const schema = operation.requestBody.content['application/json']?.schema;
      if (schema) {
        const key = `${r.method} ${template}`;
        let validate = compiled.get(key);
        if (!validate) {
          validate = load().ajv.compile(toJsonSchema(schema) as Json);
          compiled.set(key, validate);
        }
        if (!validate(r.body))
          for (const e of validate.errors ?? [])
            problems.push(`${operation.operationId}: body${e.instancePath} ${e.message}`);
      }
    }
  } else if (r.body !== null) problems.push(`${operation.operationId}: takes no request body`);
  const { adfValid } = load();
  for (const [where, doc] of adfBodies(operation.operationId, r.body)) {
    if (!adfValid(doc))
      problems.push(
        `${operation.operationId}: ${where} is not a valid ADF document (${adfErrors(doc)
          .slice(0, 3)
          .map((e) => `${e.instancePath} ${e.message}`)
          .join('; ')})`,
      );
  }
  return problems;
}
