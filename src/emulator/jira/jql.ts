/**
 * The part of JQL (https://support.atlassian.com/jira-software-cloud/docs/use-advanced-search-with-jira-query-language-jql/)
 * the emulator understands: clauses joined by AND on `project`, `labels`, `key`, `status` and
 * `statusCategory` with `=`, `!=`, `in`, `not in`, then an optional `ORDER BY <field> [ASC|DESC]`.
 * Anything else is refused as Jira refuses a query it cannot parse (400, "Error in the JQL Query"),
 * so a sink that starts relying on more JQL fails its tests instead of passing by accident. An empty
 * query is refused too: the enhanced search rejects unbounded JQL (searchAndReconsileIssuesUsingJql:
 * "the JQL query ... must be bounded").
 */

export type JqlField = 'project' | 'labels' | 'key' | 'status' | 'statuscategory';

export interface JqlClause {
  field: JqlField;
  op: '=' | '!=' | 'in' | 'not in';
  values: string[];
}

export interface JqlQuery {
  clauses: JqlClause[];
  orderBy: { field: string; direction: 'asc' | 'desc' } | null;
}

export class JqlError extends Error {}

const FIELDS = new Set<string>(['project', 'labels', 'key', 'status', 'statuscategory']);

function tokenize(jql: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|=|\(|\)|,)|([^\s=!(),"']+))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: the usual sticky-regex scan
  while ((m = re.exec(jql)) !== null) {
    last = re.lastIndex;
    if (m[1] !== undefined || m[2] !== undefined) tokens.push(`"${(m[1] ?? m[2])!.replace(/\\(.)/g, '$1')}`);
    else tokens.push((m[3] ?? m[4])!);
  }
  if (jql.slice(last).trim() !== '') throw new JqlError(`The character at position ${last} is not expected.`);
  return tokens;
}

const value = (t: string | undefined): string => {
  if (t === undefined) throw new JqlError('Expecting a value but reached the end of the query.');
  if (['(', ')', ',', '=', '!='].includes(t)) throw new JqlError(`Expecting a value but got '${t}'.`);
  return t.startsWith('"') ? t.slice(1) : t;
};

export function parseJql(jql: string): JqlQuery {
  const tokens = tokenize(jql);
  if (tokens.length === 0) throw new JqlError('Unbounded JQL queries are not allowed here.');
  let i = 0;
  const clauses: JqlClause[] = [];
  let orderBy: JqlQuery['orderBy'] = null;
  const peek = () => tokens[i]?.toLowerCase();
  while (i < tokens.length) {
    if (peek() === 'order') {
      if (tokens[i + 1]?.toLowerCase() !== 'by') throw new JqlError("Expecting 'by' after 'order'.");
      const field = tokens[i + 2];
      if (!field) throw new JqlError('Expecting a field name after ORDER BY.');
      const dir = tokens[i + 3]?.toLowerCase();
      orderBy = { field: field.toLowerCase(), direction: dir === 'desc' ? 'desc' : 'asc' };
      i += dir === 'asc' || dir === 'desc' ? 4 : 3;
      if (i < tokens.length) throw new JqlError('Nothing may follow the ORDER BY clause.');
      break;
    }
    const field = tokens[i++]!.replace(/^"/, '').toLowerCase();
    if (!FIELDS.has(field))
      throw new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`);
    let op = tokens[i++]?.toLowerCase();
    if (op === 'not' && peek() === 'in') {
      i += 1;
      op = 'not in';
    }
    if (op !== '=' && op !== '!=' && op !== 'in' && op !== 'not in')
      throw new JqlError(`Expecting an operator after '${field}'.`);
    const values: string[] = [];
    if (op === 'in' || op === 'not in') {
      if (tokens[i++] !== '(') throw new JqlError(`Expecting '(' after '${op}'.`);
      for (;;) {
        values.push(value(tokens[i++]));
        const sep = tokens[i++];
        if (sep === ')') break;
        if (sep !== ',') throw new JqlError("Expecting ',' or ')' in the list.");
      }
    } else values.push(value(tokens[i++]));
    clauses.push({ field: field as JqlField, op, values });
    if (i < tokens.length && peek() !== 'order') {
      if (peek() !== 'and') throw new JqlError(`Expecting 'AND' but got '${tokens[i]}'.`);
      i += 1;
      if (i >= tokens.length) throw new JqlError("Expecting a clause after 'AND'.");
    }
  }
  if (clauses.length === 0) throw new JqlError('Unbounded JQL queries are not allowed here.');
  return { clauses, orderBy };
}

/** Whether an issue's values satisfy every clause (values compare case-insensitively, as JQL does). */
export function matchesJql(query: JqlQuery, valuesOf: (field: JqlField) => string[]): boolean {
  return query.clauses.every((c) => {
    const have = valuesOf(c.field).map((v) => v.toLowerCase());
    const hit = c.values.some((v) => have.includes(v.toLowerCase()));
    return c.op === '=' || c.op === 'in' ? hit : !hit;
  });
}
