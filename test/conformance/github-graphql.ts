import { execute, parse } from 'graphql';
import { githubGraphqlSchema } from '../../src/emulator/github/graphql-schema.js';

/**
 * Problems of a GraphQL `data` object against GitHub's published schema (@octokit/graphql-schema):
 * the query is executed against the schema with the response as its source, so every value passes
 * through its field's type (Int, Boolean, enum values, non-null, lists); anything the types reject
 * or drop is a problem. Empty when GitHub's schema allows the data.
 */
export async function graphqlDataProblems(
  query: string,
  variables: Record<string, unknown>,
  data: unknown,
): Promise<unknown[]> {
  const result = await execute({
    schema: githubGraphqlSchema(),
    document: parse(query),
    rootValue: data,
    variableValues: variables,
    // Responses are keyed by alias, not by field name.
    fieldResolver: (source, _args, _ctx, info) => (source as Record<string, unknown> | null)?.[info.path.key],
  });
  const problems: unknown[] = (result.errors ?? []).map((e) => `${e.path?.join('.')}: ${e.message}`);
  if (JSON.stringify(result.data) !== JSON.stringify(data))
    problems.push({ served: data, typed: result.data });
  return problems;
}
