/** Renders the reference pages that are generated from code (so they cannot drift from it). */

import { features } from './features.js';
import { describedGraph } from './graph/index.js';
import { optionDocs } from './platform/config/schema.js';
import { errorCatalogue } from './platform/errors/catalogue.js';
import { allNavigation, type ResourceDescription, renderPropertyTable, typeName } from './platform/odata/resource.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The secrets the `foyer` command reads from the environment, and the commands that read each. */
export const cliSecretVariables = [
  { env: 'FOYER_ADMIN_PASSWORD', commands: ['foyer tenant create'] },
  { env: 'FOYER_USER_PASSWORD', commands: ['foyer user create', 'foyer user set-password'] },
  { env: 'FOYER_IDP_CLIENT_SECRET', commands: ['foyer idp add'] },
] as const;

export function renderConfigurationDoc(): string {
  const cliSecretRows = cliSecretVariables.map((v) => `| \`${v.env}\` | ${v.commands.map((c) => `\`${c}\``).join(', ')} |`).join('\n');
  const rows = optionDocs()
    .map((o) => `| \`${o.env}\` | ${o.secret ? '(environment only)' : `\`${o.key}\``} | ${cell(o.defaultText)} | ${cell(o.description)} |`)
    .join('\n');
  return `# Configuration reference

<!-- Generated from src/platform/config/schema.ts by \`npm run docs:generate\`. Do not edit by hand. -->

Foyer reads its configuration from environment variables. Optionally, \`FOYER_CONFIG=/path/to/foyer.json\`
names a JSON file with the same options under the keys below; an environment variable wins over the file.
Without \`FOYER_CONFIG\`, \`.foyer/config.json\` in the working directory (beside the default database) is
read when it exists, by \`foyer start\` and by every other \`foyer\` command alike: a \`port\` or \`publicUrl\`
written there gives the links and issuers the command prints the server's real address. Commands that
print links say on standard error which setting their public URL came from, unless \`FOYER_PUBLIC_URL\`
is set.
An unknown key in the file, or a value of the wrong type, stops Foyer at start with a message naming it;
so does a secret (the master keys), which is read from the environment only, so that a copy of the data
folder never carries the key that unwraps the database's secrets.

| variable | file key | default | what it does |
| --- | --- | --- | --- |
${rows}

Secrets the instance needs (cookie, link-signing and sealing keys; each tenant's signing keys) are generated
when first needed and kept in the database, so several processes on one database agree without
configuration. They are stored encrypted under the master key (\`FOYER_MASTER_KEY\`), which is not: see
"Secrets at rest" in the README for the rollover to a new master key (\`foyer keys rewrap\`).

The \`foyer\` command also reads secrets from these variables (or from standard input, or a prompt), so
they need not appear in the process list:

| variable | read by |
| --- | --- |
${cliSecretRows}
`;
}

export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCatalogue)
    .map(([code, e]) => `| \`${code}\` | ${e.status} | \`${e.graphCode}\` | ${cell(e.meaning)} |`)
    .join('\n');
  return `# Error codes

<!-- Generated from src/platform/errors/catalogue.ts by \`npm run docs:generate\`. Do not edit by hand. -->

Every error of the Graph-compatible API has Graph's shape:

\`\`\`json
{
  "error": {
    "code": "Request_ResourceNotFound",
    "message": "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
    "innerError": { "code": "directory.not_found", "date": "2026-11-25T10:00:00", "request-id": "…", "client-request-id": "…" }
  }
}
\`\`\`

\`error.code\` is Graph's code, for SDKs written against Microsoft Graph. \`error.innerError.code\` is Foyer's own,
more precise code: branch on it, never on the message. \`request-id\` is also in the \`request-id\` response header
and in every log line of that request.

| Foyer code | HTTP status | Graph code | meaning |
| --- | --- | --- | --- |
${rows}

The OpenID endpoints answer with OAuth 2.0 errors (\`{"error": "invalid_grant", "error_description": "…"}\`),
and pages a person sees explain what happened and what to do next.
`;
}

export const RESOURCES_START = '<!-- generated:resources:start -->';
export const RESOURCES_END = '<!-- generated:resources:end -->';

/** The property tables of docs/api.md, one per Graph resource, from the resource descriptions (every feature's). */
export function renderResourcesSection(): string {
  const { resources } = describedGraph(features().graphResources);
  const paths = addresses(resources);
  const sections = resources.map((r) => {
    const at = paths.get(typeName(r)) ?? [];
    const where = at.length > 0 ? ` (${at.map((p) => `\`${p}\``).join(', ')})` : '';
    return `#### \`${typeName(r)}\`${where}${r.base ? `, a \`${typeName(r.base)}\`` : ''}\n\n${renderPropertyTable(r)}`;
  });
  return `${RESOURCES_START}
<!-- Generated from the resource descriptions (src/directory/resources/, each feature's resources.ts) by \`npm run docs:generate\`. Do not edit by hand. -->

### Resources and their properties

What each resource holds, and what the query options and bodies take. "returned": in the default set
(without \`$select\`), only on \`$select\`, or never returned. "\`$filter\`": the operators a filter may use on it
(\`eq\`, \`ne\`, \`in\`, \`startswith\`, \`endswith\`, \`gt\`, \`ge\`, \`lt\`, \`le\`); on a collection, inside
\`any\`, as in \`otherMails/any(m:m eq 'a@example.com')\` or \`identities/any(i:i/issuer eq 'x' and i/issuerAssignedId eq 'y')\`.
"\`$orderby\`": sortable, or only in an advanced query. "settable": in a create (\`POST\`) or update (\`PATCH\`)
body; any other property is refused, a read-only one as "read-only", a Graph property Foyer does not keep as
"not supported by Foyer". \`GET /graph/v1.0/$metadata\` (no token needed) is the same description as an
OData CSDL document.

${sections.join('\n\n')}
${RESOURCES_END}`;
}

/**
 * Where each type is reached: its entity set or singleton, and the contained relationships below them
 * (`/identity/identityProviders`, `/organization/{id}/branding`), by qualified type name.
 */
function addresses(resources: readonly ResourceDescription[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (type: string, path: string) => out.set(type, [...(out.get(type) ?? []), path]);
  const visit = (r: ResourceDescription, path: string) => {
    for (const [name, n] of allNavigation(r)) {
      if (!n.containsTarget) continue;
      add(n.type, `${path}/${name}`);
      const target = resources.find((t) => typeName(t) === n.type);
      if (target) visit(target, `${path}/${name}${n.collection ? '/{id}' : ''}`);
    }
  };
  for (const r of resources) {
    const root = r.entitySet ?? r.singleton;
    if (!root) continue;
    add(typeName(r), `/${root}`);
    visit(r, r.entitySet ? `/${root}/{id}` : `/${root}`);
  }
  return out;
}

/** docs/api.md with its generated resources section brought up to date (the rest untouched). */
export function withResourcesSection(apiDoc: string): string {
  const start = apiDoc.indexOf(RESOURCES_START);
  const end = apiDoc.indexOf(RESOURCES_END);
  if (start < 0 || end < start) throw new Error(`docs/api.md has no ${RESOURCES_START} … ${RESOURCES_END} markers`);
  return apiDoc.slice(0, start) + renderResourcesSection() + apiDoc.slice(end + RESOURCES_END.length);
}
