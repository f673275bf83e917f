// Cuts the operations the Jira sink uses out of Atlassian's Jira Cloud platform REST API description
// (swagger-v3.v3.json), with every component they reference, so the test data stays small and
// traceable. Usage: node test/conformance/jira-openapi/vendor.mjs <full swagger-v3.v3.json>
// PROVENANCE.md records where the full document came from and its sha256.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const OPERATIONS = [
  ['/rest/api/3/issue', 'post'], // createIssue
  ['/rest/api/3/issue/{issueIdOrKey}', 'get'], // getIssue
  ['/rest/api/3/issue/{issueIdOrKey}/comment', 'post'], // addComment
  ['/rest/api/3/issue/{issueIdOrKey}/transitions', 'get'], // getTransitions
  ['/rest/api/3/issue/{issueIdOrKey}/transitions', 'post'], // doTransition
  ['/rest/api/3/search/jql', 'get'], // searchAndReconsileIssuesUsingJql
  ['/rest/api/3/search/jql', 'post'], // searchAndReconsileIssuesUsingJqlPost
  ['/rest/api/3/search', 'get'], // searchForIssuesUsingJql (deprecated: kept to cite the deprecation)
];

const source = readFileSync(process.argv[2]);
const full = JSON.parse(source.toString('utf8'));
const subset = {
  openapi: full.openapi,
  info: full.info,
  servers: full.servers,
  paths: {},
  components: { securitySchemes: { basicAuth: full.components.securitySchemes.basicAuth } },
};
const pending = [];
const seen = new Set();
function collectRefs(node) {
  if (Array.isArray(node)) return node.forEach(collectRefs);
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && !seen.has(v)) {
      seen.add(v);
      pending.push(v);
    } else collectRefs(v);
  }
}
for (const [path, method] of OPERATIONS) {
  const op = full.paths[path][method];
  subset.paths[path] ??= {};
  subset.paths[path][method] = op;
  collectRefs(op);
}
while (pending.length > 0) {
  const ref = pending.pop();
  const [, , section, name] = ref.split('/');
  const value = full.components[section][name];
  subset.components[section] ??= {};
  subset.components[section][name] = value;
  collectRefs(value);
}
const out = `${JSON.stringify(subset, null, 1)}\n`;
writeFileSync(new URL('./jira-platform-v3.subset.json', import.meta.url), out);
console.log('source sha256', createHash('sha256').update(source).digest('hex'));
console.log('subset sha256', createHash('sha256').update(out).digest('hex'));
console.log('schemas', Object.keys(subset.components.schemas).length, 'bytes', out.length);
