import type { EmuRequest, EmuResponse } from '../router.js';
import { type MethodFact, type ParamFact, STANDARD_PARAMS } from './discovery-facts.js';
import { type ApiFamily, invalidParameter, unknownQueryParameter } from './google-errors.js';

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * One parameter value against its discovery facts. Admin SDK messages follow ESF's parameter
 * validation (`Invalid value '500'. Values must be within the range: [1, 200]`, GAMADV-X #84; the
 * pattern and enum forms are the same family, worded as ESF words them for patterns). One Platform
 * APIs report a value that does not convert to the field's type in gRPC transcoding's form:
 * `Invalid value at 'page_size' (TYPE_INT32), "x"`.
 */
function valueError(api: ApiFamily, name: string, value: string, p: ParamFact): EmuResponse | null {
  if (p.type === 'integer') {
    if (!/^-?\d+$/.test(value)) {
      return api.legacy
        ? invalidParameter(api, name, `Invalid value '${value}'. Values must be an integer.`)
        : invalidParameter(api, name, `Invalid value at '${snakeCase(name)}' (TYPE_INT32), "${value}"`);
    }
    const n = Number(value);
    // Discovery `minimum`/`maximum` are enforced by ESF; One Platform documents its limits in prose and
    // coerces (AIP-158), which the routes do themselves.
    if (
      api.legacy &&
      p.minimum !== undefined &&
      p.maximum !== undefined &&
      (n < p.minimum || n > p.maximum)
    ) {
      return invalidParameter(
        api,
        name,
        `Invalid value '${value}'. Values must be within the range: [${p.minimum}, ${p.maximum}]`,
      );
    }
  }
  if (p.type === 'boolean' && value !== 'true' && value !== 'false') {
    return invalidParameter(api, name, `Invalid value '${value}'. Values must be a boolean.`);
  }
  if (p.pattern) {
    const re = new RegExp(p.pattern.startsWith('^') ? p.pattern : `^(?:${p.pattern})$`);
    if (!re.test(value)) {
      return invalidParameter(
        api,
        name,
        `Invalid value '${value}'. Values must match the following regular expression: '${p.pattern}'`,
      );
    }
  } else if (p.enum && !p.enum.includes(value) && api.legacy) {
    // Google documents the allowed values, not the wording of this refusal: the pattern form is used.
    return invalidParameter(
      api,
      name,
      `Invalid value '${value}'. Values must match the following regular expression: '${p.enum.map((e) => `(${e})`).join('|')}'`,
    );
  }
  return null;
}

/**
 * The request's query parameters (and the given path parameters) against the method's discovery
 * facts: values out of range, off pattern or off enum are refused as Google refuses them; unknown
 * query names are refused by One Platform APIs (gRPC transcoding). Admin SDK is not known to refuse
 * unknown names, so it ignores them here too (the request-conformance check still flags them).
 */
export function checkParams(
  req: EmuRequest,
  fact: MethodFact,
  api: ApiFamily,
  path: Record<string, string> = {},
): EmuResponse | null {
  for (const [name, value] of Object.entries(path)) {
    const p = fact.params[name];
    const bad = p ? valueError(api, name, value, p) : null;
    if (bad) return bad;
  }
  for (const [name, value] of req.query) {
    const own = fact.params[name];
    const p = own?.location === 'query' ? own : STANDARD_PARAMS[name];
    if (!p) {
      if (!api.legacy) return unknownQueryParameter(api, name);
      continue;
    }
    // Repeated enum parameters (keyTypes) are checked by their route, which words the refusal.
    if (p.repeated) continue;
    const bad = valueError(api, name, value, p);
    if (bad) return bad;
  }
  return null;
}
