/**
 * Every `@odata.context` Foyer writes resolves in `$metadata`: each GET route under `/graph/v1.0` (listed
 * from the server's own routes, so a new route without a declared context fails here) is called with a
 * permitted token, its context is followed through the document (an entity set or singleton, a key, the
 * navigation properties below it, or a type), and every property of the answer, nested ones included, is
 * declared on the type the context names (or the `@odata.type` the object says it is), with its type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSignInRecords } from '../../src/directory/sign-in-list.js';
import { flushSignInLog, logSignIn } from '../../src/directory/sign-in-log.js';
import { createMember, findUser } from '../../src/directory/users.js';
import { findAgreement, recordAnswer } from '../../src/governance/index.js';
import { createPartner, createPolicy } from '../../src/mfa/policies.js';
import { addTotpMethod, newTotpSecret, totpCodeAt } from '../../src/mfa/totp.js';
import { newId } from '../../src/platform/ids.js';
import { backends } from '../support/backends.js';
import { contosoWithApp } from '../support/directory-fixtures.js';
import { startTestFoyer, type TestFoyer, type TestTenant } from '../support/foyer.js';
import { delegatedTokens, graph } from '../support/tokens.js';
import { descendants, parseXml, type XmlElement } from '../support/xml.js';

const REDIRECT = 'http://localhost:3999/callback';
const NS = 'microsoft.graph.';

/** What the `$metadata` document declares, read back from the XML. */
class Schema {
  private readonly types = new Map<string, XmlElement>();
  readonly roots = new Map<string, string>();
  readonly singletons = new Set<string>();

  constructor(document: XmlElement) {
    for (const t of [...descendants(document, 'EntityType'), ...descendants(document, 'ComplexType')]) this.types.set(NS + t.attributes.Name, t);
    for (const s of descendants(document, 'EntitySet')) this.roots.set(s.attributes.Name!, s.attributes.EntityType!);
    for (const s of descendants(document, 'Singleton')) {
      this.roots.set(s.attributes.Name!, s.attributes.Type!);
      this.singletons.add(s.attributes.Name!);
    }
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  /** Name → [kind, type] of every property and navigation property of `type`, its base types' included. */
  members(type: string): Map<string, { kind: string; type: string; contains?: string }> {
    const t = this.types.get(type);
    expect(t, `type ${type} is declared`).toBeDefined();
    const out = t!.attributes.BaseType ? this.members(t!.attributes.BaseType) : new Map<string, { kind: string; type: string; contains?: string }>();
    for (const c of t!.children) {
      if (c.name !== 'Property' && c.name !== 'NavigationProperty') continue;
      out.set(c.attributes.Name!, {
        kind: c.name,
        type: c.attributes.Type!,
        ...(c.attributes.ContainsTarget ? { contains: c.attributes.ContainsTarget } : {}),
      });
    }
    return out;
  }

  derivesFrom(type: string, base: string): boolean {
    for (let t: string | undefined = type; t; t = this.types.get(t)?.attributes.BaseType) if (t === base) return true;
    return false;
  }
}

const element = (type: string) => /^Collection\((.+)\)$/.exec(type)?.[1];

/**
 * The type a context's fragment names (`users(displayName)/$entity`, `identity/identityProviders`,
 * `organization('…')/branding/$entity`, `microsoft.graph.passwordCredential`), and whether it is one object.
 */
function resolveContext(schema: Schema, context: string, base: string): { type: string; single: boolean } {
  expect(context.startsWith(`${base}/$metadata#`), context).toBe(true);
  let fragment = context.slice(`${base}/$metadata#`.length);
  const single = fragment.endsWith('/$entity');
  if (single) fragment = fragment.slice(0, -'/$entity'.length);
  if (fragment.startsWith(NS) || fragment.startsWith('Edm.')) {
    if (fragment.startsWith(NS)) expect(schema.has(fragment), `${context}: type declared`).toBe(true);
    return { type: fragment, single: true };
  }
  let type: string | undefined;
  let collection = false;
  for (const [i, segment] of fragment.split('/').entries()) {
    const m = /^(\w+)(?:\((.*)\))?$/.exec(segment);
    expect(m, `${context}: segment '${segment}'`).not.toBeNull();
    const [, name, parens] = m!;
    if (i === 0) {
      type = schema.roots.get(name!);
      expect(type, `${context}: '${name}' is a declared entity set or singleton`).toBeDefined();
      collection = !schema.singletons.has(name!);
    } else {
      const nav = schema.members(type!).get(name!);
      expect(nav?.kind, `${context}: '${name}' is a navigation property of ${type}`).toBe('NavigationProperty');
      type = element(nav!.type) ?? nav!.type;
      collection = element(nav!.type) !== undefined;
    }
    if (parens?.startsWith("'")) collection = false; // a key picks one
    // `(…)` is a key (quoted) or, on the last segment, the `$select`ed properties, each of which is declared.
    if (parens && !parens.startsWith("'")) {
      const members = schema.members(type!);
      for (const selected of parens.split(',')) expect(members.has(selected), `${context}: selected '${selected}' is declared`).toBe(true);
    }
  }
  return { type: type!, single: single || !collection };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks `value` against a declared type: primitives by their JSON form, objects member by member. */
function checkValue(schema: Schema, value: unknown, type: string, where: string): void {
  if (value === null) return;
  const inner = element(type);
  if (inner) {
    expect(Array.isArray(value), `${where} is a collection`).toBe(true);
    for (const [i, v] of (value as unknown[]).entries()) checkValue(schema, v, inner, `${where}[${i}]`);
    return;
  }
  if (type === 'Edm.String') return void expect(typeof value, where).toBe('string');
  if (type === 'Edm.Boolean') return void expect(typeof value, where).toBe('boolean');
  if (type === 'Edm.Int32') return void expect(Number.isInteger(value), `${where} = ${JSON.stringify(value)} is an Edm.Int32`).toBe(true);
  if (type === 'Edm.Guid') return void expect(value, where).toMatch(UUID);
  if (type === 'Edm.DateTimeOffset') return void expect(Number.isNaN(Date.parse(String(value))), `${where} = ${value} is a time`).toBe(false);
  checkObject(schema, value as Record<string, unknown>, type, where);
}

function checkObject(schema: Schema, object: Record<string, unknown>, type: string, where: string): void {
  expect(typeof object === 'object' && !Array.isArray(object), `${where} is an object`).toBe(true);
  let actual = type;
  if (typeof object['@odata.type'] === 'string') {
    actual = (object['@odata.type'] as string).slice(1);
    expect(schema.derivesFrom(actual, type), `${where}: ${actual} is a ${type}`).toBe(true);
  }
  const members = schema.members(actual);
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith('@')) continue; // an annotation of the object (`@odata.type`, delta's `@removed`)
    // `members@delta`: an annotation of a declared property, here the changes to a relationship.
    const [name, annotation] = key.split('@') as [string, string | undefined];
    const member = members.get(name);
    expect(member, `${where}: '${name}' is declared on ${actual}`).toBeDefined();
    if (annotation === undefined || annotation === 'delta') checkValue(schema, value, member!.type, `${where}.${key}`);
  }
}

/** The GET routes of the Graph API, from the server's route tree (`printRoutes`). */
function graphGetRoutes(tree: string): string[] {
  const paths: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    if (m[3]?.split(', ').includes('GET') && path.startsWith('/graph/v1.0/')) paths.push(path.slice('/graph/v1.0'.length));
  }
  return paths;
}

describe.each(backends)('every @odata.context on $name', (backend) => {
  let foyer: TestFoyer;
  let tenant: TestTenant;
  let base: string;
  let schema: Schema;
  let token: string;
  let me: string;
  const ids: Record<string, string> = {};
  /** Contexts of the writes made while setting up (they point into the document too). */
  const written: Array<{ what: string; body: Record<string, unknown> }> = [];

  const ok = async (method: string, path: string, body?: unknown, as = token) => {
    const res = await graph(foyer, as, method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    if (res.body && typeof res.body === 'object' && '@odata.context' in res.body) written.push({ what: `${method} ${path}`, body: res.body });
    return res.body;
  };

  beforeAll(async () => {
    foyer = await startTestFoyer({ backend });
    base = `${foyer.url}/graph/v1.0`;
    ({ tenant, token } = await contosoWithApp(foyer, 'contexts', [
      'User.ReadWrite.All',
      'Group.ReadWrite.All',
      'Organization.ReadWrite.All',
      'RoleManagement.ReadWrite.Directory',
      'Application.ReadWrite.All',
      'Policy.Read.All',
      'IdentityProvider.ReadWrite.All',
      'AuditLog.Read.All',
      'UserAuthenticationMethod.Read.All',
      'Agreement.ReadWrite.All',
      'AccessReview.ReadWrite.All',
    ]));
    schema = new Schema(parseXml(await (await fetch(`${base}/$metadata`)).text()));

    const password = 'Long-Enough-Passphrase-1';
    const boss = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'boss@contoso.example', displayName: 'Boss', password });
    const user = await ok('POST', '/users', {
      accountEnabled: true,
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.example',
      otherMails: ['adele@fabrikam.example'],
      passwordProfile: { password },
    });
    ids.user = user.id as string;
    ids.boss = boss.id;
    await ok('PUT', `/users/${ids.user}/manager/$ref`, { '@odata.id': `${base}/users/${ids.boss}` });
    const report = await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'ben@contoso.example', displayName: 'Ben', password });
    await ok('PUT', `/users/${report.id}/manager/$ref`, { '@odata.id': `${base}/users/${ids.user}` });
    const group = await ok('POST', '/groups', {
      displayName: 'Sales',
      mailNickname: 'sales',
      'members@odata.bind': [`${base}/directoryObjects/${ids.user}`],
    });
    ids.group = group.id as string;
    await ok('POST', '/groups', { displayName: 'Everyone', mailNickname: 'everyone', 'members@odata.bind': [`${base}/directoryObjects/${ids.group}`] });
    await ok('POST', `/groups/${ids.group}/owners/$ref`, { '@odata.id': `${base}/users/${ids.boss}` });
    ids.role = '95e79109-95c0-4d8e-aee3-d01accf2d47b'; // Guest Inviter
    await ok('POST', `/directoryRoles/${ids.role}/members/$ref`, { '@odata.id': `${base}/directoryObjects/${ids.user}` });
    await ok('POST', `/users/${ids.user}/revokeSignInSessions`);

    const registered = await ok('POST', '/applications', { displayName: 'Registered', web: { redirectUris: ['https://app.example/cb'] } });
    ids.application = registered.id as string;
    await ok('POST', `/applications/${ids.application}/addPassword`, { passwordCredential: { displayName: 'ci' } });
    ids.appId = registered.appId as string;
    ids.servicePrincipal = (await ok('GET', `/servicePrincipals(appId='${ids.appId}')`)).id as string;
    for (const principalId of [ids.user, ids.group]) {
      ids.appRoleAssignment = (
        await ok('POST', `/servicePrincipals/${ids.servicePrincipal}/appRoleAssignedTo`, {
          principalId,
          resourceId: ids.servicePrincipal,
          appRoleId: '00000000-0000-0000-0000-000000000000',
        })
      ).id as string;
    }

    const invitation = await ok('POST', '/invitations', {
      invitedUserEmailAddress: 'guest@fabrikam.example',
      inviteRedirectUrl: 'https://app.example/welcome',
      sendInvitationMessage: false,
      invitedUserSponsors: [{ id: ids.boss }],
    });
    ids.invitation = invitation.id as string;
    ids.guest = (invitation.invitedUser as { id: string }).id;
    const provider = await ok('POST', '/identity/identityProviders', {
      '@odata.type': '#microsoft.graph.oidcIdentityProvider',
      displayName: 'Fabrikam',
      issuer: 'https://idp.fabrikam.example',
      clientId: 'foyer',
      clientAuthentication: { clientSecret: 'not-a-real-secret' },
      domains: ['fabrikam.example'],
    });
    ids.identityProvider = provider.id as string;
    const cli = { kind: 'cli', displayName: 'test' } as const;
    const caPolicy = await createPolicy(
      foyer.ctx,
      tenant.id,
      {
        // Report-only: the sign-in below goes on without a second factor.
        displayName: 'Guests need MFA',
        state: 'enabledForReportingButNotEnforced',
        conditions: {
          users: {
            includeUsers: ['GuestsOrExternalUsers'],
            excludeUsers: [],
            includeGroups: [ids.group],
            excludeGroups: [],
            includeRoles: [],
            excludeRoles: [],
          },
          applications: { includeApplications: ['All'], excludeApplications: [] },
          clientAppTypes: ['all'],
        },
        grantControls: { operator: 'OR', builtInControls: ['mfa'] },
        sessionControls: { signInFrequency: { value: 8, type: 'hours', isEnabled: true } },
      },
      cli,
    );
    ids.caPolicy = caPolicy.id;
    ids.partner = (await foyer.createTenant('Northwind', { domains: ['northwind.example'] })).id;
    await createPartner(foyer.ctx, tenant.id, { tenantId: ids.partner, inboundTrust: { isMfaAccepted: true } }, cli);
    // Terms of use, and the guest's acceptance of them.
    const terms = Buffer.from('Be kind.', 'utf8').toString('base64');
    const agreement = await ok('POST', '/identityGovernance/termsOfUse/agreements', {
      displayName: 'Terms',
      userReacceptRequiredFrequency: 'P90D',
      termsExpiration: { startDateTime: '2030-01-01T00:00:00Z', frequency: 'P365D' },
      files: [{ fileName: 'terms.txt', displayName: 'Terms', language: 'en-US', isDefault: true, fileData: { data: terms } }],
    });
    ids.agreement = agreement.id as string;
    const stored = (await findAgreement(foyer.ctx.db.kysely, tenant.id, ids.agreement))!;
    const guest = (await findUser(foyer.ctx.db.kysely, tenant.id, ids.guest))!;
    await recordAnswer(foyer.ctx, { tenantId: tenant.id, agreement: stored, fileId: stored.files[0]!.id, user: guest, state: 'accepted', ipAddress: null });
    // A sign-in in the log (a wrong password of the member).
    logSignIn(foyer.ctx, { tenantId: tenant.id, userId: ids.user!, appId: null, errorCode: 50126, ipAddress: '192.0.2.1' });
    await flushSignInLog(foyer.ctx);
    ids.signIn = (await listSignInRecords(foyer.ctx.db.kysely, tenant.id, ids.user))[0]!.id;
    // An access review of the guests, started at once, with one decision recorded.
    const review = await ok('POST', '/identityGovernance/accessReviews/definitions', {
      displayName: 'Guests',
      scope: { '@odata.type': '#microsoft.graph.accessReviewQueryScope', query: "/users?$filter=(userType eq 'Guest')", queryType: 'MicrosoftGraph' },
      reviewers: [{ query: './sponsors', queryType: 'MicrosoftGraph' }],
      fallbackReviewers: [{ query: `/users/${ids.user}`, queryType: 'MicrosoftGraph' }],
      settings: {
        instanceDurationInDays: 7,
        recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 }, range: { type: 'noEnd', startDate: '2020-01-01' } },
        applyActions: [{ '@odata.type': '#microsoft.graph.disableAndDeleteUserApplyAction', deleteAfterDays: 30 }],
      },
    });
    ids.review = review.id as string;
    const reviewInstances = await ok('GET', `/identityGovernance/accessReviews/definitions/${ids.review}/instances`);
    ids.reviewInstance = reviewInstances.value[0].id as string;
    const reviewItems = await ok('GET', `/identityGovernance/accessReviews/definitions/${ids.review}/instances/${ids.reviewInstance}/decisions`);
    ids.reviewDecision = reviewItems.value[0].id as string;
    await ok('PATCH', `/identityGovernance/accessReviews/definitions/${ids.review}/instances/${ids.reviewInstance}/decisions/${ids.reviewDecision}`, {
      decision: 'Approve',
      justification: 'Still needed',
    });
    await ok('PATCH', `/organization/${tenant.id}/branding`, { backgroundColor: '#FFFFFF', signInPageText: 'Welcome' });
    ids.deleted = (await createMember(foyer.ctx, tenant.id, { userPrincipalName: 'gone@contoso.example', displayName: 'Gone', password })).id;
    await ok('DELETE', `/users/${ids.deleted}`);

    // Adele's second factors: an authenticator app, and a passkey as WebAuthn registration leaves it.
    const secret = newTotpSecret();
    const totp = await addTotpMethod(foyer.ctx, { tenantId: tenant.id, userId: ids.user, secret, code: totpCodeAt(secret, Date.now()), displayName: 'Phone' });
    if (!totp.ok) throw new Error(`TOTP registration failed: ${totp.reason}`);
    ids.softwareOath = totp.method.id;
    ids.fido2 = newId();
    await foyer.ctx.db.kysely
      .insertInto('authentication_methods')
      .values({
        id: ids.fido2,
        tenant_id: tenant.id,
        user_id: ids.user,
        kind: 'fido2',
        display_name: 'Key',
        created_at: Date.now() + 1000,
        last_used_at: null,
        totp_secret: null,
        totp_last_step: null,
        credential_id: 'cred',
        public_key: 'pk',
        sign_count: 0,
        transports: '[]',
        aaguid: null,
        backed_up: 1,
      })
      .execute();

    const portal = await foyer.createApp(tenant.id, {
      displayName: 'Portal',
      redirectUris: [REDIRECT],
      delegatedPermissions: ['User.Read', 'User.Read.All', 'UserAuthenticationMethod.Read'],
    });
    const scope = 'openid profile User.Read User.Read.All UserAuthenticationMethod.Read';
    me = (await delegatedTokens(foyer, tenant, portal, REDIRECT, { email: 'adele@contoso.example', password }, scope)).access_token;
  });
  afterAll(() => foyer?.stop());

  /**
   * How each GET route is called: its paths (a route may answer several shapes), with the token to use.
   * `null`: the route answers with something that has no context, and why.
   */
  const calls = (): Record<string, Array<string | { path: string; token: string }> | null> => ({
    '/$metadata': null, // the document itself
    '/me': [{ path: '/me', token: me }],
    '/me/manager': [{ path: '/me/manager', token: me }],
    '/me/transitiveMemberOf': [{ path: '/me/transitiveMemberOf', token: me }],
    '/me/transitiveMemberOf/:segment': [{ path: '/me/transitiveMemberOf/microsoft.graph.group', token: me }],
    '/me/transitiveMemberOf/:segment/:count': null,
    '/me/directReports': [{ path: '/me/directReports', token: me }],
    '/me/directReports/:segment': [{ path: '/me/directReports/microsoft.graph.user', token: me }],
    '/me/directReports/:segment/:count': null,
    '/users': ['/users', '/users?$select=displayName,mail,identities', '/users?$expand=manager,memberOf,directReports'],
    '/users/:id': [`/users/${ids.user}`],
    '/users/$count': null, // a number as text
    '/users/delta': ['/users/delta'],
    '/users/delta()': ['/users/delta()?$select=displayName'],
    '/users/:id/memberOf': [`/users/${ids.user}/memberOf`],
    '/users/:id/memberOf/:segment': [`/users/${ids.user}/memberOf/microsoft.graph.group`],
    '/users/:id/memberOf/:segment/:count': null, // `$count`: a number as text
    '/users/:id/transitiveMemberOf': [`/users/${ids.user}/transitiveMemberOf`],
    '/users/:id/transitiveMemberOf/:segment': [`/users/${ids.user}/transitiveMemberOf/microsoft.graph.group`],
    '/users/:id/transitiveMemberOf/:segment/:count': null,
    '/users/:id/directReports': [`/users/${ids.boss}/directReports`],
    '/users/:id/directReports/:segment': [`/users/${ids.boss}/directReports/microsoft.graph.user`],
    '/users/:id/directReports/:segment/:count': null,
    '/users/:id/manager': [`/users/${ids.user}/manager`],
    '/users/:id/sponsors': [`/users/${ids.guest}/sponsors`],
    '/users/:id/authentication/methods': [`/users/${ids.user}/authentication/methods`],
    '/users/:id/authentication/methods/:methodId': [
      `/users/${ids.user}/authentication/methods/28c10230-6103-485e-b985-444c60001490`,
      `/users/${ids.user}/authentication/methods/${ids.fido2}`,
    ],
    '/users/:id/authentication/softwareOathMethods': [`/users/${ids.user}/authentication/softwareOathMethods`],
    '/users/:id/authentication/softwareOathMethods/:methodId': [`/users/${ids.user}/authentication/softwareOathMethods/${ids.softwareOath}`],
    '/users/:id/authentication/fido2Methods': [`/users/${ids.user}/authentication/fido2Methods`],
    '/users/:id/authentication/fido2Methods/:methodId': [`/users/${ids.user}/authentication/fido2Methods/${ids.fido2}`],
    '/me/authentication/methods': [{ path: '/me/authentication/methods', token: me }],
    '/me/authentication/methods/:methodId': [{ path: `/me/authentication/methods/${ids.softwareOath}`, token: me }],
    '/me/authentication/softwareOathMethods': [{ path: '/me/authentication/softwareOathMethods', token: me }],
    '/me/authentication/softwareOathMethods/:methodId': [{ path: `/me/authentication/softwareOathMethods/${ids.softwareOath}`, token: me }],
    '/me/authentication/fido2Methods': [{ path: '/me/authentication/fido2Methods', token: me }],
    '/me/authentication/fido2Methods/:methodId': [{ path: `/me/authentication/fido2Methods/${ids.fido2}`, token: me }],
    '/groups': ['/groups', '/groups?$expand=members,owners'],
    '/groups/:id': [`/groups/${ids.group}`],
    '/groups/$count': null,
    '/groups/delta': ['/groups/delta'],
    '/groups/delta()': ['/groups/delta()'],
    '/groups/:id/members': [`/groups/${ids.group}/members`],
    '/groups/:id/members/:segment': [`/groups/${ids.group}/members/microsoft.graph.user`],
    '/groups/:id/members/:segment/:count': null,
    '/groups/:id/transitiveMembers': [`/groups/${ids.group}/transitiveMembers`],
    '/groups/:id/transitiveMembers/:segment': [`/groups/${ids.group}/transitiveMembers/microsoft.graph.user`],
    '/groups/:id/transitiveMembers/:segment/:count': null,
    '/groups/:id/owners': [`/groups/${ids.group}/owners`],
    '/groups/:id/owners/:segment': [`/groups/${ids.group}/owners/microsoft.graph.user`],
    '/groups/:id/owners/:segment/:count': null,
    '/groups/:id/memberOf': [`/groups/${ids.group}/memberOf`],
    '/groups/:id/memberOf/:segment': [`/groups/${ids.group}/memberOf/microsoft.graph.group`],
    '/groups/:id/memberOf/:segment/:count': null,
    '/groups/:id/transitiveMemberOf': [`/groups/${ids.group}/transitiveMemberOf`],
    '/groups/:id/transitiveMemberOf/:segment': [`/groups/${ids.group}/transitiveMemberOf/microsoft.graph.group`],
    '/groups/:id/transitiveMemberOf/:segment/:count': null,
    '/directory/deletedItems/microsoft.graph.user': ['/directory/deletedItems/microsoft.graph.user'],
    '/directory/deletedItems/graph.user': ['/directory/deletedItems/graph.user?$select=id,deletedDateTime'],
    '/directory/deletedItems/:id': [`/directory/deletedItems/${ids.deleted}`],
    '/directory/deletedItems/microsoft.graph.group': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/directory/deletedItems/graph.group': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/directory/deletedItems/microsoft.graph.application': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/directory/deletedItems/graph.application': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/directory/deletedItems/microsoft.graph.servicePrincipal': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/directory/deletedItems/graph.servicePrincipal': null, // always an empty list (Foyer deletes these for good): test/graph/deleted-items.test.ts
    '/organization': ['/organization'],
    '/organization/:id': [`/organization/${tenant.id}`],
    '/organization/:id/branding': [`/organization/${tenant.id}/branding`],
    '/directoryRoles': ['/directoryRoles'],
    '/directoryRoles/:id': [`/directoryRoles/${ids.role}`],
    '/directoryRoles/:id/members': [`/directoryRoles/${ids.role}/members`],
    '/applications': ['/applications', '/applications?$select=id,deletedDateTime,appId'],
    '/applications/:id': [`/applications/${ids.application}`],
    '/applications/:id/owners': [`/applications/${ids.application}/owners`],
    '/servicePrincipals': ['/servicePrincipals', '/servicePrincipals?$select=id,appId,appRoleAssignmentRequired'],
    '/servicePrincipals/:id': [`/servicePrincipals/${ids.servicePrincipal}`],
    '/servicePrincipals(appId=:appId)': [`/servicePrincipals(appId='${ids.appId}')`],
    '/servicePrincipals/:id/appRoleAssignedTo': [`/servicePrincipals/${ids.servicePrincipal}/appRoleAssignedTo`],
    '/servicePrincipals/:id/appRoleAssignedTo/:assignmentId': [`/servicePrincipals/${ids.servicePrincipal}/appRoleAssignedTo/${ids.appRoleAssignment}`],
    '/users/:id/appRoleAssignments': [`/users/${ids.user}/appRoleAssignments`, `/users/${ids.user}/appRoleAssignments?$select=id,resourceId`],
    '/groups/:id/appRoleAssignments': [`/groups/${ids.group}/appRoleAssignments`],
    '/auditLogs/directoryAudits': ['/auditLogs/directoryAudits'],
    '/auditLogs/signIns': ['/auditLogs/signIns', '/auditLogs/signIns?$select=id,status'],
    '/auditLogs/signIns/:id': [`/auditLogs/signIns/${ids.signIn}`],
    '/invitations': ['/invitations'],
    '/invitations/:id': [`/invitations/${ids.invitation}`],
    '/identity/identityProviders': ['/identity/identityProviders'],
    '/identity/identityProviders/:id': [`/identity/identityProviders/${ids.identityProvider}`],
    '/identity/conditionalAccess/policies': ['/identity/conditionalAccess/policies'],
    '/identityGovernance/termsOfUse/agreements': ['/identityGovernance/termsOfUse/agreements'],
    '/identityGovernance/termsOfUse/agreements/:id': [`/identityGovernance/termsOfUse/agreements/${ids.agreement}`],
    '/identityGovernance/termsOfUse/agreements/:id/acceptances': [`/identityGovernance/termsOfUse/agreements/${ids.agreement}/acceptances`],
    '/identityGovernance/accessReviews/definitions': ['/identityGovernance/accessReviews/definitions'],
    '/identityGovernance/accessReviews/definitions/:id': [`/identityGovernance/accessReviews/definitions/${ids.review}`],
    '/identityGovernance/accessReviews/definitions/:id/instances': [`/identityGovernance/accessReviews/definitions/${ids.review}/instances`],
    '/identityGovernance/accessReviews/definitions/:id/instances/:instanceId': [
      `/identityGovernance/accessReviews/definitions/${ids.review}/instances/${ids.reviewInstance}`,
    ],
    '/identityGovernance/accessReviews/definitions/:id/instances/:instanceId/decisions': [
      `/identityGovernance/accessReviews/definitions/${ids.review}/instances/${ids.reviewInstance}/decisions`,
    ],
    '/identityGovernance/accessReviews/definitions/:id/instances/:instanceId/decisions/:decisionId': [
      `/identityGovernance/accessReviews/definitions/${ids.review}/instances/${ids.reviewInstance}/decisions/${ids.reviewDecision}`,
    ],
    '/identity/conditionalAccess/policies/:id': [`/identity/conditionalAccess/policies/${ids.caPolicy}`],
    '/policies/crossTenantAccessPolicy/partners': ['/policies/crossTenantAccessPolicy/partners'],
    '/policies/crossTenantAccessPolicy/partners/:tenantId': [`/policies/crossTenantAccessPolicy/partners/${ids.partner}`],
    '/policies/authorizationPolicy': ['/policies/authorizationPolicy'],
    '/policies/b2bManagementPolicy': ['/policies/b2bManagementPolicy'],
    '/policies/invitationPolicy': ['/policies/invitationPolicy'],
    '/policies/crossTenantAccessPolicy/default': ['/policies/crossTenantAccessPolicy/default'],
    '/policies/externalIdentitiesPolicy': ['/policies/externalIdentitiesPolicy'],
    '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email': [
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/email',
    ],
  });

  /** Checks one answer: its context resolves, and what it holds is declared on the type it names. Returns how many objects it held. */
  function checkAnswer(what: string, body: Record<string, unknown>): number {
    const context = body['@odata.context'];
    expect(typeof context, `${what} has an @odata.context`).toBe('string');
    const { type, single } = resolveContext(schema, context as string, base);
    if (type.startsWith('Edm.')) {
      checkValue(schema, body.value, type, what);
      return 1;
    }
    if (!single || Array.isArray(body.value)) {
      expect(Array.isArray(body.value), `${what}: a collection has a value array`).toBe(true);
      const objects = body.value as Array<Record<string, unknown>>;
      for (const [i, object] of objects.entries()) checkObject(schema, object, type, `${what} value[${i}]`);
      return objects.length;
    }
    const { '@odata.context': _context, ...object } = body;
    checkObject(schema, object, type, what);
    return 1;
  }

  it('calls every GET route of the Graph API; each answer has a context the $metadata document declares', async () => {
    const routes = graphGetRoutes(foyer.app.http.printRoutes({ commonPrefix: false, method: 'GET' }));
    const table = calls();
    expect(
      routes.filter((r) => !(r in table)),
      'GET routes with no entry in this test: add one, and declare what they serve',
    ).toEqual([]);
    expect(
      Object.keys(table).filter((r) => !routes.includes(r)),
      'entries for routes Foyer no longer has',
    ).toEqual([]);
    let checked = 0;
    for (const [route, paths] of Object.entries(table)) {
      for (const call of paths ?? []) {
        const { path, token: as } = typeof call === 'string' ? { path: call, token } : call;
        const headers = path.includes('$count') ? { ConsistencyLevel: 'eventual' } : undefined;
        const res = await graph(foyer, as, 'GET', path, undefined, headers);
        expect(res.status, `${route}: GET ${path}: ${JSON.stringify(res.body)}`).toBe(200);
        if (path.endsWith('$count')) continue; // a number as text, by design
        // Each call is made to hold something, so that its properties are checked, not only its context.
        expect(checkAnswer(`GET ${path}`, res.body), `GET ${path} holds objects`).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('what the writes answer points into the document too', () => {
    expect(written.map((w) => w.what)).toEqual(
      expect.arrayContaining([
        'POST /users',
        `POST /applications/${ids.application}/addPassword`,
        `POST /servicePrincipals/${ids.servicePrincipal}/appRoleAssignedTo`,
        'POST /invitations',
        'POST /identity/identityProviders',
        `POST /users/${ids.user}/revokeSignInSessions`,
      ]),
    );
    for (const { what, body } of written) checkAnswer(what, body);
  });

  it('declares the resources features serve as entity sets, singletons and contained navigation', () => {
    for (const [root, type] of [
      ['applications', 'microsoft.graph.application'],
      ['servicePrincipals', 'microsoft.graph.servicePrincipal'],
      ['invitations', 'microsoft.graph.invitation'],
      ['identity', 'microsoft.graph.identityContainer'],
      ['auditLogs', 'microsoft.graph.auditLogRoot'],
      ['policies', 'microsoft.graph.policyRoot'],
    ])
      expect(schema.roots.get(root!), root).toBe(type);
    const contained = (type: string, name: string) => schema.members(type).get(name);
    expect(contained('microsoft.graph.identityContainer', 'identityProviders')).toEqual({
      kind: 'NavigationProperty',
      type: 'Collection(microsoft.graph.identityProviderBase)',
      contains: 'true',
    });
    expect(contained('microsoft.graph.auditLogRoot', 'directoryAudits')).toMatchObject({
      type: 'Collection(microsoft.graph.directoryAudit)',
      contains: 'true',
    });
    expect(contained('microsoft.graph.policyRoot', 'authorizationPolicy')).toMatchObject({ type: 'microsoft.graph.authorizationPolicy', contains: 'true' });
    expect(contained('microsoft.graph.crossTenantAccessPolicy', 'default')).toMatchObject({
      type: 'microsoft.graph.crossTenantAccessPolicyConfigurationDefault',
      contains: 'true',
    });
    expect(contained('microsoft.graph.identityContainer', 'conditionalAccess')).toMatchObject({
      type: 'microsoft.graph.conditionalAccessRoot',
      contains: 'true',
    });
    expect(contained('microsoft.graph.conditionalAccessRoot', 'policies')).toMatchObject({
      type: 'Collection(microsoft.graph.conditionalAccessPolicy)',
      contains: 'true',
    });
    expect(contained('microsoft.graph.crossTenantAccessPolicy', 'partners')).toMatchObject({
      type: 'Collection(microsoft.graph.crossTenantAccessPolicyConfigurationPartner)',
      contains: 'true',
    });
    expect(contained('microsoft.graph.organization', 'branding')).toMatchObject({ type: 'microsoft.graph.organizationalBranding', contains: 'true' });
  });
});
