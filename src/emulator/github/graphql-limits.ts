import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * GitHub's GraphQL node limit and rate-limit cost, computed the way GitHub documents them
 * (docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api, "Node limit"
 * and "Calculating a rate limit score"):
 * - every connection must be given `first` or `last`, each within 1-100;
 * - nodes: each connection contributes its `first`/`last` times the sizes of the connections it
 *   sits in (the page's worked examples: 550 and 22,060 nodes); a call may request 500,000 at most;
 * - cost: the requests needed to fill every connection (1 for a top-level connection, the product
 *   of its parents' sizes otherwise), divided by 100, rounded, at least 1.
 * Error types and messages are GitHub's own (`MISSING_PAGINATION_BOUNDARIES`,
 * `EXCESSIVE_PAGINATION`: "Requesting 101 records on the `teams` connection exceeds the `first`
 * limit of 100 records.", `MAX_NODE_LIMIT_EXCEEDED`: "This query requests up to 603,360 possible
 * nodes which exceeds the maximum limit of 500,000.", as GitHub answers them).
 */
export const MAX_PAGE = 100;
export const MAX_NODES = 500_000;

export type LimitIssueType =
  | 'MISSING_PAGINATION_BOUNDARIES'
  | 'EXCESSIVE_PAGINATION'
  | 'MAX_NODE_LIMIT_EXCEEDED';

export interface LimitIssue {
  type: LimitIssueType;
  message: string;
  /** Response keys (aliases) down to the connection. */
  path: string[];
  locations?: Array<{ line: number; column: number }>;
}

export interface ConnectionUse {
  path: string[];
  field: string;
  /** `first` or `last` as sent (after variables), or null when neither was given. */
  size: number | null;
}

export interface QueryLimits {
  nodes: number;
  /** Requests GitHub needs to fill every connection (before dividing by 100). */
  requests: number;
  cost: number;
  connections: ConnectionUse[];
  issues: LimitIssue[];
}

/** A field is a connection when it returns a `…Connection` type and pages with `first`/`last`. */
function isConnection(field: GraphQLField<unknown, unknown>): boolean {
  const named = getNamedType(field.type);
  const args = new Set(field.args.map((a) => a.name));
  return named.name.endsWith('Connection') && args.has('first') && args.has('last');
}

function intValue(
  node: ValueNode | undefined,
  variables: Record<string, unknown>,
  defaults: Map<string, unknown>,
): number | null | undefined {
  if (!node) return undefined;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return null;
  if (node.kind === Kind.VARIABLE) {
    const name = node.name.value;
    const v = name in variables ? variables[name] : defaults.get(name);
    return typeof v === 'number' ? v : v == null ? null : Number(v);
  }
  return undefined;
}

export function queryLimits(
  schema: GraphQLSchema,
  doc: DocumentNode,
  variables: Record<string, unknown> = {},
  operationName?: string | null,
): QueryLimits {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    if (def.kind === Kind.OPERATION_DEFINITION) operations.push(def);
  }
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  const out: QueryLimits = { nodes: 0, requests: 0, cost: 1, connections: [], issues: [] };
  if (!operation) return out;
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return out;
  const defaults = new Map<string, unknown>();
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue?.kind === Kind.INT) defaults.set(v.variable.name.value, Number(v.defaultValue.value));
  }

  const walk = (
    set: SelectionSetNode | undefined,
    parent: GraphQLCompositeType,
    multiplier: number,
    path: string[],
  ) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (cond && isCompositeType(cond)) walk(sel.selectionSet, cond, multiplier, path);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        const cond = frag ? schema.getType(frag.typeCondition.name.value) : undefined;
        if (frag && cond && isCompositeType(cond)) walk(frag.selectionSet, cond, multiplier, path);
        continue;
      }
      const name = sel.name.value;
      if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[name];
      if (!field) continue;
      const key = sel.alias?.value ?? name;
      const here = [...path, key];
      const type = getNamedType(field.type);
      let inner = multiplier;
      if (isConnection(field)) {
        const arg = (n: string) => sel.arguments?.find((a) => a.name.value === n)?.value;
        const first = intValue(arg('first'), variables, defaults);
        const last = intValue(arg('last'), variables, defaults);
        const size = first ?? last ?? null;
        const location = sel.loc
          ? [{ line: sel.loc.startToken.line, column: sel.loc.startToken.column }]
          : [];
        out.connections.push({ path: here, field: name, size });
        if (size == null) {
          out.issues.push({
            type: 'MISSING_PAGINATION_BOUNDARIES',
            message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
            path: here,
            locations: location,
          });
        } else if (size > MAX_PAGE) {
          const which = first != null ? 'first' : 'last';
          out.issues.push({
            type: 'EXCESSIVE_PAGINATION',
            message: `Requesting ${size} records on the \`${name}\` connection exceeds the \`${which}\` limit of ${MAX_PAGE} records.`,
            path: here,
            locations: location,
          });
        }
        out.requests += multiplier;
        inner = multiplier * (size ?? 0);
        out.nodes += inner;
      }
      if (isCompositeType(type)) walk(sel.selectionSet, type, inner, here);
    }
  };
  walk(operation.selectionSet, root, 1, []);
  out.cost = Math.max(1, Math.round(out.requests / 100));
  if (out.nodes > MAX_NODES) {
    out.issues.push({
      type: 'MAX_NODE_LIMIT_EXCEEDED',
      message: `This query requests up to ${out.nodes.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.`,
      path: [],
    });
  }
  return out;
}
