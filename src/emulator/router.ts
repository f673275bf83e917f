import type { IncomingHttpHeaders } from 'node:http';

export interface EmuRequest {
  method: string;
  /** Path without query string, as received (percent-encoded). */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The emulator's own origin (`https://127.0.0.1:PORT`), for absolute paging links. */
  origin: string;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
  /**
   * The answer does not count against the platform's primary rate limit (GitHub: a `304 Not
   * Modified` to a conditional request). Quota accounting outside the route must skip it too.
   */
  notCounted?: boolean;
}

export type Handler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

/**
 * How a route answers the faults that must look like the platform's own responses (see
 * `faults.ts`). A route without the answer for a fault cannot produce it: the emulator says so with
 * a 500 rather than sending something the real service never would.
 */
export interface RouteFaults {
  /** The API's 401 for an expired access token. */
  tokenExpired?: (req: EmuRequest) => EmuResponse;
  /** The API's 403 when the caller lacks the permission this route needs. */
  permissionDenied?: (req: EmuRequest) => EmuResponse;
  /** The API's 404 when this route's resource is not there. */
  notFound?: (req: EmuRequest) => EmuResponse;
  /**
   * `resp`, a page of a list, with its next-page link or token pointing back at the page just served;
   * null when `resp` is not a page of a list (then it is sent unchanged).
   */
  loopPaging?: (req: EmuRequest, resp: EmuResponse) => EmuResponse | null;
}

export interface Route {
  /** Which API this belongs to (`github`, `graph`, `login`, `google`): used by faults and stats. */
  service: string;
  method: string;
  /** Path pattern with `{name}` placeholders, e.g. `/api/v3/orgs/{org}/installations`. */
  pattern: string;
  handler: Handler;
  /** The route's own answers to faults that must look like the platform's responses. */
  faults?: RouteFaults;
  /** Platform module that registered the route (set by the server). */
  platform?: string;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split(/(\{[A-Za-z0-9_]+\})/)
    .map((part) => {
      const m = /^\{([A-Za-z0-9_]+)\}$/.exec(part);
      if (m) {
        names.push(m[1]!);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { ...route, regex: new RegExp(`^${source}$`), names };
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Minimal method + path router. First match wins, in registration order. */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(route: Route): void {
    this.routes.push(compile(route));
  }

  match(method: string, path: string): RouteMatch | { methodNotAllowed: true } | null {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { route: r, params };
    }
    return pathMatched ? { methodNotAllowed: true } : null;
  }
}
