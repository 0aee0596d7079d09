/**
 * The directory audit log: who did what to which object, and whether it worked, under Entra's activity
 * names so that reports written for Entra's `directoryAudits` read Foyer's the same way. Events are
 * written in the same transaction as the change they describe, so the log never claims a change that
 * was rolled back, nor misses one that was committed.
 */
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';

/** Entra's activity names (as Entra's directory audit log names them), plus Foyer's own for mail delivery and policies. */
export const activities = {
  invite: 'Invite external user',
  inviteWithReset: 'Invite external user with reset invitation status',
  redeem: 'Redeem external user invite',
  deleteGuest: 'Delete external user',
  deleteUser: 'Delete user',
  restoreUser: 'Restore user',
  hardDeleteUser: 'Hard Delete user',
  emailNotSentUnsubscribed: 'Email not sent, user unsubscribed',
  emailUnsubscribed: 'Email unsubscribed',
  emailSubscribed: 'Email subscribed',
  bulkInviteFinished: 'Bulk invite users - finished (bulk)',
  invitationEmailSent: 'Invitation email sent',
  invitationEmailFailed: 'Invitation email delivery failed',
  updateAuthorizationPolicy: 'Update authorization policy',
  updateB2bManagementPolicy: 'Update B2B management policy',
  updateInvitationPolicy: 'Update invitation policy',
  updateCrossTenantAccessPolicy: 'Update a partner cross-tenant access setting',
  updateAuthenticationMethodPolicy: 'Update authentication methods policy',
  addIdentityProvider: 'Add identity provider',
  deleteIdentityProvider: 'Delete identity provider',
  addConditionalAccessPolicy: 'Add conditional access policy',
  updateConditionalAccessPolicy: 'Update conditional access policy',
  deleteConditionalAccessPolicy: 'Delete conditional access policy',
  addCrossTenantPartner: 'Add a partner to cross-tenant access setting',
  deleteCrossTenantPartner: 'Delete partner specific cross-tenant access setting',
  addApplication: 'Add application',
  updateApplication: 'Update application',
  // Entra writes an en dash here; reports match the name exactly.
  updateApplicationSecrets: 'Update application – Certificates and secrets management',
  deleteApplication: 'Delete application',
  // A person's second factors (Entra logs these under the service "Authentication Methods").
  userRegisteredSecurityInfo: 'User registered security info',
  userDeletedSecurityInfo: 'User deleted security info',
  userChangedDefaultSecurityInfo: 'User changed default security info',
  adminDeletedSecurityInfo: 'Admin deleted security info',
  // App assignment (Graph's servicePrincipals and appRoleAssignedTo), under Entra's names: "grant to user" is Entra's wording.
  addServicePrincipal: 'Add service principal',
  updateServicePrincipal: 'Update service principal',
  addAppRoleAssignmentToUser: 'Add app role assignment grant to user',
  removeAppRoleAssignmentFromUser: 'Remove app role assignment from user',
  addAppRoleAssignmentToGroup: 'Add app role assignment to group',
  removeAppRoleAssignmentFromGroup: 'Remove app role assignment from group',
  // The tenant's external user leave settings (policies/externalIdentitiesPolicy): Entra logs a change of a
  // policy object under Core Directory's "Update policy".
  updateExternalIdentitiesPolicy: 'Update policy',
  // Terms of use (Graph's identityGovernance/termsOfUse/agreements), logged under the service "Terms Of Use".
  createTermsOfUse: 'Create terms of use',
  editTermsOfUse: 'Edit terms of use',
  deleteTermsOfUse: 'Delete terms of use',
  acceptTermsOfUse: 'Accept terms of use',
  declineTermsOfUse: 'Decline terms of use',
  // Access reviews of guests (identityGovernance/accessReviews), logged under the service "Access Reviews".
  createAccessReview: 'Create access review',
  deleteAccessReview: 'Delete access review',
  approveAccessReviewDecision: 'Approve decision',
  denyAccessReviewDecision: 'Deny decision',
  accessReviewEnded: 'Access review ended',
  applyAccessReviewDecision: 'Apply decision',
} as const;

export type Activity = (typeof activities)[keyof typeof activities];

/** Who acted: a person, an app (acting as itself), the operator's command line, or the invitee. */
export type Actor =
  | { kind: 'user'; id: string; displayName: string; userPrincipalName: string; mail: string | null; ipAddress?: string | null }
  | { kind: 'app'; appId: string; displayName: string; ipAddress?: string | null }
  | { kind: 'cli'; displayName: string }
  | { kind: 'system'; displayName: string }
  | { kind: 'recipient'; address: string; ipAddress?: string | null };

export interface AuditTarget {
  id: string | null;
  type: 'User' | 'Invitation' | 'Policy' | 'Message' | 'Application' | 'Group' | 'ServicePrincipal';
  displayName: string | null;
  userPrincipalName?: string | null;
}

export interface AuditEvent {
  tenantId: string;
  activity: Activity;
  category: 'UserManagement' | 'Policy' | 'ApplicationManagement' | 'GroupManagement';
  operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign' | 'Other';
  result: 'success' | 'failure';
  resultReason?: string | null;
  actor: Actor;
  targets: AuditTarget[];
  details?: Record<string, string>;
  /** Ties the events of one request or one bulk run together. */
  correlationId: string;
  /** Entra's `loggedByService`, when not the category's usual one ("Authentication Methods"). */
  service?: string;
  at: number;
}

/** The service name Entra logs invitation events under. */
const SERVICES: Record<AuditEvent['category'], string> = {
  UserManagement: 'Invited Users',
  Policy: 'Core Directory',
  ApplicationManagement: 'Core Directory',
  GroupManagement: 'Core Directory',
};

export async function recordAudit(db: Executor, event: AuditEvent): Promise<void> {
  await recordAudits(db, [event]);
}

export async function recordAudits(db: Executor, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('audit_events')
    .values(
      events.map((e) => ({
        id: newId(),
        tenant_id: e.tenantId,
        activity: e.activity,
        category: e.category,
        service: e.service ?? SERVICES[e.category],
        operation_type: e.operationType,
        result: e.result,
        result_reason: e.resultReason ?? null,
        actor: JSON.stringify(e.actor),
        targets: JSON.stringify(e.targets),
        details: JSON.stringify(Object.entries(e.details ?? {}).map(([key, value]) => ({ key, value }))),
        correlation_id: e.correlationId,
        activity_at: e.at,
      })),
    )
    .execute();
}
