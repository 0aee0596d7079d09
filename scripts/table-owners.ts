/**
 * Which folder owns each table. Only code inside the owner reads or writes the table or imports its row
 * type; everyone else calls a function the owner exports and names for its intent (`acceptGuest`,
 * `spendTicket`, `listTenantDomains` …). `scripts/check-structure.ts` enforces it in `npm run lint`,
 * docs/architecture.md prints it, and test/structure/table-owners.test.ts checks that every table of the
 * schema has exactly one owner and that the document shows this table.
 */
export const TABLE_OWNERS: Readonly<Record<string, readonly string[]>> = {
  'src/platform/': ['rate_limits', 'instance_secrets'],
  'src/directory/': [
    'tenants',
    'tenant_domains',
    'tenant_policies',
    'users',
    'user_identities',
    'user_sponsors',
    'groups',
    'group_members',
    'directory_search_tokens',
    'group_owners',
    'directory_change_counters',
    'directory_changes',
    'directory_object_counts',
    'role_assignments',
    'applications',
    'application_secrets',
    'service_principals',
    'app_role_assignments',
    'signing_keys',
    'audit_events',
    'sign_in_records',
  ],
  'src/mail/': ['outbox', 'development_mailbox'],
  'src/oidc/': ['oidc_payloads'],
  'src/invitations/': ['invitations', 'invitation_blocks'],
  'src/redemption/': ['personal_accounts', 'identity_providers', 'passcodes'],
  'src/mfa/': ['authentication_methods', 'recovery_codes', 'conditional_access_policies', 'cross_tenant_partners'],
  'src/governance/': [
    'agreements',
    'agreement_acceptances',
    'access_review_definitions',
    'access_review_instances',
    'access_review_decisions',
    'myaccount_links',
  ],
  'src/web/kit/': ['browser_sessions', 'guest_flows', 'mfa_gates', 'terms_gates'],
};

/** The owner folder of each table (a table listed twice would be caught by the test, not silently kept). */
export function ownerOf(table: string): string | undefined {
  return Object.entries(TABLE_OWNERS).find(([, tables]) => tables.includes(table))?.[0];
}

/** The ownership table as it appears in docs/architecture.md. */
export function renderOwnershipTable(): string {
  const rows = Object.entries(TABLE_OWNERS).map(([owner, tables]) => `| \`${owner}\` | ${tables.map((t) => `\`${t}\``).join(', ')} |`);
  return ['| Owner | Tables |', '| --- | --- |', ...rows].join('\n');
}
