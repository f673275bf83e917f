import { readFileSync } from 'node:fs';
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from 'graphql';

/**
 * GitHub's public GraphQL schema, as GitHub publishes it (npm `@octokit/graphql-schema`, the
 * introspection result in `schema.json`). The emulator validates and executes every query against
 * it, so a field, argument or type that github.com does not have is refused here too. The SDL copy
 * in the same package does not build (it defines `EnterpriseOwnerInfo.repositoryDeployKeySetting`
 * twice), hence the introspection JSON. Built once per process, on first use (~0.5 s).
 */
let schema: GraphQLSchema | undefined;

/** Whether this process has built the schema yet (the emulator builds it before serving under limits). */
export function githubGraphqlSchemaBuilt(): boolean {
  return schema !== undefined;
}

export function githubGraphqlSchema(): GraphQLSchema {
  if (!schema) {
    // The package exports only its ESM entry; its data files sit next to it.
    const file = new URL('./schema.json', import.meta.resolve('@octokit/graphql-schema'));
    schema = buildClientSchema(JSON.parse(readFileSync(file, 'utf8')) as IntrospectionQuery);
  }
  return schema;
}
