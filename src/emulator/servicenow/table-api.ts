import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local ServiceNow instance's Table API, as strict as ServiceNow documents it, for the ticketing
 * sink's tests and demo. Source for the operations, parameters, headers and status codes: the Table
 * API reference (ServiceNow/ServiceNowDocs, markdown/api-reference/rest-apis/c_TableAPI.md, release
 * "australia", commit 28eead27e6a8): POST /now/table/{tableName} (201), GET …/{sys_id} (200, 404),
 * PATCH …/{sys_id} (200, 404), GET /now/table/{tableName} with `sysparm_query` (`<col><op><value>`
 * joined by `^`, `ORDERBY<col>`), `sysparm_limit` (default 10000), `sysparm_offset`, and the `Link`
 * (first/prev/next/last) and `X-Total-Count` response headers. Values are strings, as the reference's
 * examples show; journal fields (`work_notes`, `comments`) read back empty, also as shown there.
 * Error bodies are ServiceNow's `{ error: { message, detail }, status: "failure" }` (the shape and
 * messages real instances send, e.g. "No Record found" / "Record doesn't exist or ACL restricts the
 * record retrieval"; "User Not Authenticated" / "Required to provide Auth information").
 */

export interface ServiceNowUser {
  user: string;
  password: string;
  /** `itil` may create and update incidents (the incident table's ACLs); others may only read. */
  roles: string[];
}

export interface ServiceNowEmulatorOptions {
  users?: ServiceNowUser[];
  /** Tables that exist (default `incident`). */
  tables?: string[];
  /** Requests allowed per window before 429 (default: no limit). */
  rateLimit?: { requests: number; windowMs: number };
}

export interface JournalEntry {
  field: 'work_notes' | 'comments';
  text: string;
  by: string;
}

export interface StoredRecord {
  fields: Record<string, string>;
  journal: JournalEntry[];
}

export interface RunningServiceNow {
  /** `http://127.0.0.1:PORT`: the instance URL. */
  url: string;
  close(): Promise<void>;
  records(table?: string): StoredRecord[];
  /** What a person does in the UI: resolve a record (state 6) or delete it. */
  closeByHand(sysId: string, table?: string): void;
  deleteByHand(sysId: string, table?: string): void;
  /** While true every request gets 503 (an instance in maintenance). */
  setOutage(down: boolean): void;
  /** Requests received, for counting: method and path with query. */
  requests: { method: string; url: string; user: string | null }[];
}

/** Incident states (incident.state choice list): 6 Resolved, 7 Closed and 8 Canceled are inactive. */
const INACTIVE_STATES = new Set(['6', '7', '8']);

const failure = (message: string, detail: string | null) => ({
  error: { message, detail },
  status: 'failure',
});

const pad = (n: number) => String(n).padStart(2, '0');
/** `YYYY-MM-DD HH:mm:ss` in UTC: how the Table API returns date-times (actual values). */
const glideDateTime = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

export async function startServiceNowEmulator(
  options: ServiceNowEmulatorOptions = {},
): Promise<RunningServiceNow> {
  const users = options.users ?? [
    { user: 'grantscope.integration', password: 'emulator-password', roles: ['itil'] },
  ];
  const tables = new Map<string, Map<string, StoredRecord>>(
    (options.tables ?? ['incident']).map((t) => [t, new Map()]),
  );
  let counter = 10000;
  let down = false;
  let window = { start: Date.now(), used: 0 };
  const requests: RunningServiceNow['requests'] = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
      ...headers,
    });
    res.end(text);
  };

  const userOf = (req: IncomingMessage): ServiceNowUser | null => {
    const h = req.headers.authorization;
    if (!h?.startsWith('Basic ')) return null;
    const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return null;
    const [name, password] = [decoded.slice(0, i), decoded.slice(i + 1)];
    return users.find((u) => u.user === name && u.password === password) ?? null;
  };

  const shape = (r: StoredRecord, fields: string[] | null): Record<string, string> => {
    const out: Record<string, string> = { ...r.fields, work_notes: '', comments: '' };
    if (!fields) return out;
    // "Invalid fields are ignored" (sysparm_fields).
    return Object.fromEntries(fields.filter((f) => f in out).map((f) => [f, out[f]!]));
  };

  /** Encoded query: `col=value`, `col!=value`, `colLIKEvalue`, `colSTARTSWITHvalue` joined by `^`; ORDERBY. */
  const matcher = (query: string | null) => {
    const tests: ((f: Record<string, string>) => boolean)[] = [];
    let order: { col: string; desc: boolean } | null = null;
    for (const part of (query ?? '').split('^').filter(Boolean)) {
      const ob = /^ORDERBY(DESC)?(.+)$/.exec(part);
      if (ob) {
        order = { col: ob[2]!, desc: ob[1] === 'DESC' };
        continue;
      }
      const m = /^([A-Za-z0-9_.]+?)(!=|=|LIKE|STARTSWITH|ENDSWITH)(.*)$/.exec(part);
      // "By default, if part of a query is invalid … the instance ignores the invalid part."
      if (!m) continue;
      const [, col, op, value] = m as unknown as [string, string, string, string];
      tests.push((f) => {
        const v = f[col];
        if (v === undefined) return true;
        if (op === '=') return v === value;
        if (op === '!=') return v !== value;
        if (op === 'LIKE') return v.includes(value);
        if (op === 'STARTSWITH') return v.startsWith(value);
        return v.endsWith(value);
      });
    }
    return { test: (f: Record<string, string>) => tests.every((t) => t(f)), order };
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const user = userOf(req);
    requests.push({
      method: req.method ?? 'GET',
      url: `${url.pathname}${url.search}`,
      user: user?.user ?? null,
    });
    const body = await readBody(req);
    if (down) return send(res, 503, failure('Service Unavailable', 'The instance is unavailable'));
    if (options.rateLimit) {
      const now = Date.now();
      if (now - window.start >= options.rateLimit.windowMs) window = { start: now, used: 0 };
      if (window.used >= options.rateLimit.requests) {
        // Inbound REST API rate limiting: 429 with Retry-After and the X-RateLimit-* headers.
        const resetMs = window.start + options.rateLimit.windowMs;
        return send(res, 429, failure('Rate limit exceeded', 'Too many requests'), {
          'retry-after': String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
          'x-ratelimit-limit': String(options.rateLimit.requests),
          'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
        });
      }
      window.used += 1;
    }
    if (!user)
      return send(res, 401, failure('User Not Authenticated', 'Required to provide Auth information'));

    // Default URL /api/now/table/{tableName}[/{sys_id}] and the versioned /api/now/{v}/table/….
    const m = /^\/api\/now(?:\/(v\d+))?\/table\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return send(res, 400, failure('Requested URI does not represent any resource', null));
    const [, , tableName, sysId] = m as unknown as [string, string | undefined, string, string | undefined];
    const table = tables.get(tableName);
    if (!table) return send(res, 400, failure(`Invalid table ${tableName}`, null));
    const fields = url.searchParams.get('sysparm_fields')?.split(',') ?? null;
    const method = req.method ?? 'GET';
    const canWrite = user.roles.includes('itil') || user.roles.includes('admin');

    const parseJson = (): Record<string, unknown> | 'unsupported' | 'invalid' => {
      const type = req.headers['content-type'] ?? '';
      // 415: "The endpoint does not support the format of the request body".
      if (!/^application\/json\b/i.test(type)) return 'unsupported';
      try {
        const v = JSON.parse(body) as unknown;
        return v !== null && typeof v === 'object' && !Array.isArray(v)
          ? (v as Record<string, unknown>)
          : 'invalid';
      } catch {
        return 'invalid';
      }
    };
    const asFields = (input: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(input)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );

    if (method === 'GET' && sysId === undefined) {
      const { test, order } = matcher(url.searchParams.get('sysparm_query'));
      let rows = [...table.values()].filter((r) => test(r.fields));
      if (order) {
        const { col, desc } = order;
        rows = rows.sort(
          (a, b) => (a.fields[col] ?? '').localeCompare(b.fields[col] ?? '') * (desc ? -1 : 1),
        );
      }
      const limit = Number.parseInt(url.searchParams.get('sysparm_limit') ?? '10000', 10);
      const offset = Number.parseInt(url.searchParams.get('sysparm_offset') ?? '0', 10);
      if (!(limit > 0) || !(offset >= 0))
        return send(res, 400, failure('Invalid sysparm_limit or sysparm_offset', null));
      const page = rows.slice(offset, offset + limit);
      const link = (o: number, rel: string) => {
        const u = new URL(url.toString());
        u.searchParams.set('sysparm_offset', String(o));
        u.searchParams.set('sysparm_limit', String(limit));
        return `<${origin}${u.pathname}${u.search}>;rel="${rel}"`;
      };
      const links = [link(0, 'first')];
      if (offset > 0) links.push(link(Math.max(0, offset - limit), 'prev'));
      if (offset + limit < rows.length) links.push(link(offset + limit, 'next'));
      links.push(link(Math.max(0, Math.floor((rows.length - 1) / limit) * limit), 'last'));
      const headers: Record<string, string> = { 'x-total-count': String(rows.length) };
      if (url.searchParams.get('sysparm_suppress_pagination_header') !== 'true')
        headers.link = links.join(',');
      return send(res, 200, { result: page.map((r) => shape(r, fields)) }, headers);
    }

    if (method === 'POST' && sysId === undefined) {
      if (!canWrite) {
        return send(
          res,
          403,
          failure('Operation Failed', 'ACL Exception Insert Failed due to security constraints'),
        );
      }
      const input = parseJson();
      if (input === 'unsupported') return send(res, 415, failure('Unsupported Media Type', null));
      if (input === 'invalid')
        return send(res, 400, failure('Exception while reading request', 'The payload is not valid JSON.'));
      const now = glideDateTime(new Date());
      const id = randomBytes(16).toString('hex');
      counter += 1;
      const record: StoredRecord = {
        fields: {
          sys_id: id,
          number: `INC${String(counter).padStart(7, '0')}`,
          state: '1',
          active: 'true',
          sys_created_on: now,
          sys_updated_on: now,
          sys_created_by: user.user,
          sys_updated_by: user.user,
          sys_class_name: tableName,
          sys_mod_count: '0',
          short_description: '',
          description: '',
          correlation_id: '',
          correlation_display: '',
          close_code: '',
          close_notes: '',
          impact: '3',
          urgency: '3',
        },
        journal: [],
      };
      const { work_notes, comments, ...rest } = asFields(input);
      Object.assign(record.fields, writable(rest));
      record.fields.sys_id = id;
      if (work_notes) record.journal.push({ field: 'work_notes', text: work_notes, by: user.user });
      if (comments) record.journal.push({ field: 'comments', text: comments, by: user.user });
      table.set(id, record);
      return send(
        res,
        201,
        { result: shape(record, fields) },
        { location: `${origin}/api/now/table/${tableName}/${id}` },
      );
    }

    if (sysId === undefined) return send(res, 405, failure('Method not Supported', null));
    const record = table.get(sysId);
    const notFound = () =>
      send(
        res,
        404,
        failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval"),
      );

    if (method === 'GET') return record ? send(res, 200, { result: shape(record, fields) }) : notFound();

    if (method === 'PATCH' || method === 'PUT') {
      if (!record) return notFound();
      if (!canWrite) {
        return send(
          res,
          403,
          failure('Operation Failed', 'ACL Exception Update Failed due to security constraints'),
        );
      }
      const input = parseJson();
      if (input === 'unsupported') return send(res, 415, failure('Unsupported Media Type', null));
      if (input === 'invalid')
        return send(res, 400, failure('Exception while reading request', 'The payload is not valid JSON.'));
      const { work_notes, comments, ...rest } = asFields(input);
      const next = { ...record.fields, ...writable(rest) };
      // The incident's "close info mandatory" data policy: resolving or closing needs a resolution
      // code and notes. Data policy violations are a 403 (REST API HTTP response codes: "403 … can
      // also be caused by ACL failures, or business rule or data policy constraints").
      if (
        tableName === 'incident' &&
        (next.state === '6' || next.state === '7') &&
        (!next.close_code || !next.close_notes)
      ) {
        return send(
          res,
          403,
          failure(
            'Operation Failed',
            'Data Policy Exception: The following fields are mandatory: Resolution code, Resolution notes',
          ),
        );
      }
      next.active = INACTIVE_STATES.has(next.state ?? '') ? 'false' : 'true';
      next.sys_updated_on = glideDateTime(new Date());
      next.sys_updated_by = user.user;
      next.sys_mod_count = String(Number(record.fields.sys_mod_count ?? '0') + 1);
      record.fields = next;
      if (work_notes) record.journal.push({ field: 'work_notes', text: work_notes, by: user.user });
      if (comments) record.journal.push({ field: 'comments', text: comments, by: user.user });
      return send(res, 200, { result: shape(record, fields) });
    }
    if (method === 'DELETE') {
      if (!record) return notFound();
      table.delete(sysId);
      return send(res, 204, undefined);
    }
    return send(res, 405, failure('Method not Supported', null));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, failure('Internal error', String(e))));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tableOf = (name = 'incident') => {
    const t = tables.get(name);
    if (!t) throw new Error(`no table ${name}`);
    return t;
  };
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections();
        server.close((e) => (e ? fail(e) : ok()));
      }),
    records: (name) => [...tableOf(name).values()],
    closeByHand(sysId, name) {
      const r = tableOf(name).get(sysId);
      if (!r) throw new Error(`no record ${sysId}`);
      Object.assign(r.fields, {
        state: '6',
        active: 'false',
        close_code: 'Solution provided',
        close_notes: 'Closed by hand',
      });
    },
    deleteByHand(sysId, name) {
      tableOf(name).delete(sysId);
    },
    setOutage(value) {
      down = value;
    },
  };
}

/** System fields are read-only through the API: writes to them are ignored. */
const READ_ONLY = new Set([
  'sys_id',
  'number',
  'sys_created_on',
  'sys_created_by',
  'sys_updated_on',
  'sys_updated_by',
  'sys_mod_count',
  'sys_class_name',
  'active',
]);

function writable(input: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => !READ_ONLY.has(k)));
}
