/**
 * Entra's AADSTS50105 page: the app requires assignment (its service principal's
 * `appRoleAssignmentRequired`) and the person is not assigned to it, directly or through a group
 * (directory/app-assignments.ts). It is shown where a sign-in would otherwise end well (`concludeSignIn`),
 * so a password, single sign-on, a guest handed back and a remembered provider session (sent here by the
 * OpenID feature's check, oidc/assignment-check.ts) all meet it; the app gets no code. The page offers the
 * way back to the app, which then hears `access_denied`. The refusal is logged (error 50105).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppAssignmentVerdict } from '../../directory/app-assignments.js';
import { logSignIn } from '../../directory/sign-in-log.js';
import { findTenant } from '../../directory/tenants.js';
import { findUser } from '../../directory/users.js';
import type { AppContext } from '../../platform/context.js';
import { html } from '../../platform/html.js';
import { chooseLocale, type Locale } from '../../platform/locale.js';
import { brandOf, page, pageHeaders } from '../kit/layout.js';

type Refusal = Extract<AppAssignmentVerdict, { allowed: false }>;

/** Entra's code for "not assigned to the app". */
export const NOT_ASSIGNED_ERROR = 50105;

const en = {
  title: 'Sign in',
  trouble: 'Sorry, but we’re having trouble signing you in.',
  message: (app: string, appId: string, upn: string) =>
    `AADSTS50105: Your administrator has configured the application ${app} ('${appId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${upn}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.`,
  details: 'Troubleshooting details',
  errorCode: 'Error code',
  appName: 'App name',
  appId: 'App id',
  user: 'User',
  timestamp: 'Timestamp',
  back: 'Back to the app',
};

const sv: typeof en = {
  title: 'Logga in',
  trouble: 'Tyvärr har vi problem med att logga in dig.',
  message: (app, appId, upn) =>
    `AADSTS50105: Din administratör har konfigurerat programmet ${app} ('${appId}') så att användare blockeras om de inte uttryckligen har beviljats ('tilldelats') åtkomst till programmet. Den inloggade användaren '${upn}' blockeras eftersom användaren varken är direkt medlem i en grupp med åtkomst eller har tilldelats åtkomst direkt av en administratör. Kontakta din administratör för att få åtkomst till det här programmet.`,
  details: 'Felsökningsinformation',
  errorCode: 'Felkod',
  appName: 'Appnamn',
  appId: 'App-id',
  user: 'Användare',
  timestamp: 'Tidsstämpel',
  back: 'Tillbaka till appen',
};

export function assignmentRefusalText(locale: Locale): typeof en {
  return locale === 'sv-SE' ? sv : en;
}

export interface RefusalContext {
  tenantId: string;
  uid: string;
  userId: string;
  amr: readonly string[];
}

/** Logs the refusal and answers with the AADSTS50105 page (403); nothing reaches the app but what the person chooses. */
export async function refuseUnassigned(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  at: RefusalContext,
  refusal: Refusal,
): Promise<FastifyReply> {
  const db = ctx.db.kysely;
  const [user, tenant] = await Promise.all([findUser(db, at.tenantId, at.userId), findTenant(db, at.tenantId)]);
  const upn = user?.userPrincipalName ?? at.userId;
  const now = ctx.clock.now();
  logSignIn(ctx, {
    tenantId: at.tenantId,
    userId: at.userId,
    appId: refusal.appId,
    ipAddress: request.ip,
    errorCode: NOT_ASSIGNED_ERROR,
    amr: at.amr,
  });
  request.log.info({ tenant: at.tenantId, user: at.userId, app: refusal.appId }, 'sign-in refused: not assigned to the app (AADSTS50105)');
  const locale = chooseLocale([], request.headers['accept-language']);
  const t = assignmentRefusalText(locale);
  const meta: Array<[string, string]> = [
    [t.errorCode, `AADSTS${NOT_ASSIGNED_ERROR}`],
    [t.appName, refusal.appDisplayName],
    [t.appId, refusal.appId],
    [t.user, upn],
    [t.timestamp, new Date(now).toISOString()],
  ];
  const body = html`<h1>${t.title}</h1>
<p>${t.trouble}</p>
<p role="alert">${t.message(refusal.appDisplayName, refusal.appId, upn)}</p>
<h2>${t.details}</h2>
<dl class="meta">${meta.map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}</dl>
<form method="post" action="/${at.tenantId}/login/${at.uid}/cancel">
<input type="hidden" name="_csrf" value="${reply.generateCsrf()}">
<button type="submit">${t.back}</button>
</form>`;
  return reply
    .code(403)
    .headers(pageHeaders)
    .send(page(locale, t.title, body, tenant ? brandOf(tenant) : {}));
}
