import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadSchemas, memberTypes, type SchemaSet } from './schema-check.js';

/**
 * Test support: what a generated Google client (`@googleapis/admin`, `iam`, `cloudresourcemanager`)
 * says about one method, read from its build/*.js and *.d.ts at run time. The generator copies these
 * from the discovery document: HTTP method, URL template, required and path parameters (the .js), the
 * names of the method's parameters, its request body and its response schema (the .d.ts).
 */
export interface GeneratedMethod {
  /** Resource class without `Resource$` (`Users`, `Projects$Serviceaccounts$Keys`) and method name. */
  resource: string;
  method: string;
  httpMethod: string;
  /** URL template after the root: `/admin/directory/v1/users/{userKey}/tokens`, `/v1/{+name}/keys`. */
  urlTemplate: string;
  requiredParams: string[];
  pathParams: string[];
  /** Every parameter name of `Params$Resource$…` except `requestBody`. */
  params: string[];
  /** `Schema$…` of `requestBody`, if the method takes one. */
  requestBody: string | null;
  /** `Schema$…` the method resolves to. */
  response: string | null;
}

export interface GeneratedClient {
  methods: GeneratedMethod[];
  /** Members of `StandardParameters` except `auth` (a client option, never sent). */
  standardParams: string[];
  schemas: SchemaSet;
  find(resource: string, method: string): GeneratedMethod | undefined;
}

const cache = new Map<string, GeneratedClient>();

function quotedList(text: string): string[] {
  return [...text.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

function capitalised(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}

/** Members of `export interface <name> … {` in a .d.ts, comments stripped. */
function interfaceMembers(dts: string, name: string): Map<string, string> | undefined {
  const start = dts.indexOf(`interface ${name} `);
  if (start < 0) return undefined;
  const open = dts.indexOf('{', start);
  let depth = 1;
  let i = open + 1;
  for (; i < dts.length && depth > 0; i++) {
    if (dts[i] === '{') depth++;
    if (dts[i] === '}') depth--;
  }
  return memberTypes(dts.slice(open + 1, i - 1).replace(/\/\*[\s\S]*?\*\//g, ''));
}

/** `@googleapis/iam/build/v1` → its methods, standard parameters and schemas. */
export function loadGeneratedClient(module: string): GeneratedClient {
  const hit = cache.get(module);
  if (hit) return hit;
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve(`${module}.js`), 'utf8');
  const dts = readFileSync(require.resolve(`${module}.d.ts`), 'utf8');
  const methods: GeneratedMethod[] = [];
  const classes = [...js.matchAll(/\n {4}class Resource\$([A-Za-z0-9$]+) \{/g)];
  classes.forEach((c, k) => {
    const body = js.slice(c.index, classes[k + 1]?.index ?? js.length);
    const defs = [
      ...body.matchAll(/\n {8}([A-Za-z0-9_]+)\(paramsOrCallback, optionsOrCallback, callback\) \{/g),
    ];
    defs.forEach((d, j) => {
      const text = body.slice(d.index, defs[j + 1]?.index ?? body.length);
      const url = /url: \(rootUrl \+\s*'([^']*)'\)/.exec(text)?.[1];
      const httpMethod = /method: '([A-Z]+)'/.exec(text)?.[1];
      if (!url || !httpMethod) return;
      const resource = c[1]!;
      const method = d[1]!;
      const paramsName = `Params$Resource$${resource}$${capitalised(method)}`;
      const members = interfaceMembers(dts, paramsName) ?? new Map<string, string>();
      const signature = new RegExp(
        `\\n\\s+${method}\\(params\\?: Params\\$Resource\\$${resource.replace(/\$/g, '\\$')}\\$${capitalised(method)}, options\\?: MethodOptions\\): Promise<GaxiosResponseWithHTTP2<(Schema\\$[A-Za-z0-9_]+|void)>>`,
      ).exec(dts);
      methods.push({
        resource,
        method,
        httpMethod,
        urlTemplate: url,
        requiredParams: quotedList(/requiredParams: \[([^\]]*)\]/.exec(text)?.[1] ?? ''),
        pathParams: quotedList(/pathParams: \[([^\]]*)\]/.exec(text)?.[1] ?? ''),
        params: [...members.keys()].filter((n) => n !== 'requestBody').map((n) => n.replace(/^'|'$/g, '')),
        requestBody: members.get('requestBody')?.replace(/\s*\|\s*(null|undefined)/g, '') ?? null,
        response: signature?.[1]?.startsWith('Schema$') ? signature[1] : null,
      });
    });
  });
  const standard = interfaceMembers(dts, 'StandardParameters') ?? new Map<string, string>();
  const client: GeneratedClient = {
    methods,
    standardParams: [...standard.keys()].filter((n) => n !== 'auth').map((n) => n.replace(/^'|'$/g, '')),
    schemas: loadSchemas(`${module}.d.ts`),
    find: (resource, method) => methods.find((m) => m.resource === resource && m.method === method),
  };
  cache.set(module, client);
  return client;
}

/** A URL template as a regular expression: `{x}` one segment, `{+x}` (reserved expansion) any path. */
export function templateRegex(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{\+?[A-Za-z0-9_]+\})/)
    .map((part) => {
      const m = /^\{(\+?)([A-Za-z0-9_]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[2]!);
      return m[1] ? '(.+)' : '([^/]+)';
    })
    .join('');
  return { regex: new RegExp(`^${source}$`), names };
}
