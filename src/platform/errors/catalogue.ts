/**
 * Every error Foyer can answer with, keyed by a stable code. Clients branch on codes, never on messages
 * (Microsoft Graph says the same of its own `error.code`). `graphCode` is what the Graph-compatible API
 * puts in `error.code`; the Foyer code itself goes in `error.innerError.code` so a script can tell
 * "domain blocked" from "not allowed to invite" although Graph calls both `Authorization_RequestDenied`.
 *
 * `docs/errors.md` is generated from this table, and a test fails when it drifts.
 */
export interface ErrorSpec {
  status: number;
  graphCode: string;
  /** When this happens, in words for the docs. */
  meaning: string;
}

export const errorCatalogue = {
  // --- request shape -------------------------------------------------------------------------------
  'request.invalid_json': { status: 400, graphCode: 'BadRequest', meaning: 'The body is not valid JSON.' },
  'request.too_deep': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: 'The JSON body nests objects and arrays more than 64 levels deep (Graph bodies need a handful).',
  },
  'request.invalid_body': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'A property is missing, unknown, of the wrong type or out of range.',
  },
  'request.unsupported_media_type': {
    status: 415,
    graphCode: 'BadRequest',
    meaning: 'The body is not `application/json`.',
  },
  'request.too_large': { status: 413, graphCode: 'RequestEntityTooLarge', meaning: 'The body is over the size limit.' },
  'request.invalid_query': {
    status: 400,
    graphCode: 'Request_UnsupportedQuery',
    meaning:
      'An OData query option (`$filter`, `$search`, `$select`, `$orderby`, `$top`, `$skiptoken`, `$count`) is malformed or unsupported, or `$search` lacks the `ConsistencyLevel: eventual` header.',
  },
  'request.consistency_level_required': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: "The request is one of Graph's advanced queries (such as `/users/$count`) and lacks the `ConsistencyLevel: eventual` header.",
  },
  'request.malformed': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: 'The URL or a value in the request contains a NUL character or is not valid percent-encoding.',
  },
  'request.uri_too_long': {
    status: 414,
    graphCode: 'BadRequest',
    meaning: 'A path segment is longer than Foyer accepts.',
  },
  'request.unknown_segment': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: 'The path names no resource this API has.',
  },
  'request.invalid_delta_token': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning:
      'The `$skiptoken` or `$deltatoken` of a delta query (`/users/delta`, `/groups/delta`) was not issued by Foyer for this resource and tenant, or was changed. Follow `@odata.nextLink` and `@odata.deltaLink` as returned.',
  },
  'request.delta_token_expired': {
    status: 410,
    graphCode: 'syncStateNotFound',
    meaning:
      'The delta token is older than the change log Foyer keeps (30 days): changes since then are no longer known. Start over with a delta query without a token.',
  },
  'request.method_not_allowed': {
    status: 405,
    graphCode: 'Request_BadRequest',
    meaning: 'The resource exists but not with this HTTP method.',
  },
  'request.throttled': {
    status: 429,
    graphCode: 'TooManyRequests',
    meaning: 'Too many requests; wait for the `Retry-After` seconds, then retry.',
  },
  'batch.invalid': {
    status: 400,
    graphCode: 'BadRequest',
    meaning:
      'A `$batch` body is malformed: more than 20 requests, a duplicate or missing `id`, a `url` outside the API, a `dependsOn` naming no earlier request, or a write (`POST`, `PUT`, `PATCH`) without both a `body` and a `Content-Type` header. No request of the batch runs.',
  },
  'batch.failed_dependency': {
    status: 424,
    graphCode: 'FailedDependency',
    meaning: 'A request of a `$batch` was not run because a request named in its `dependsOn` failed.',
  },
  // --- authentication and authorization -------------------------------------------------------------
  'auth.missing_token': {
    status: 401,
    graphCode: 'InvalidAuthenticationToken',
    meaning: 'No bearer token was sent.',
  },
  'auth.invalid_token': {
    status: 401,
    graphCode: 'InvalidAuthenticationToken',
    meaning:
      "The bearer token is malformed, expired, not for this audience, or from an unknown issuer; or it is a person's token issued before their sign-ins ended (`signInSessionsValidFromDateTime`: `revokeSignInSessions`, a new password, a disable, a reset redemption).",
  },
  'auth.insufficient_privileges': {
    status: 403,
    graphCode: 'Authorization_RequestDenied',
    meaning: 'The token lacks the permission (app role or delegated scope plus directory role) this operation needs.',
  },
  // --- directory ---------------------------------------------------------------------------------------
  'directory.not_found': {
    status: 404,
    graphCode: 'Request_ResourceNotFound',
    meaning: 'No object with that id (or user principal name) exists in this tenant.',
  },
  'directory.conflict': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'Another object already has that unique value (for example the user principal name).',
  },
  'directory.domain_not_verified': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: "A member's user principal name must end in one of the tenant's verified domains.",
  },
  // The password policy, one code per rule (Entra answers a weak password with Request_BadRequest).
  'directory.password_too_short': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The password is shorter than 8 characters.',
  },
  'directory.password_too_long': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The password is longer than 256 characters.',
  },
  'directory.password_too_common': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The password is on the list of commonly used passwords (about 49,000, compared without regard to letter case).',
  },
  'directory.password_contains_name': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning:
      "The password is, or contains, the user's name or address: the user principal name, mail, display name, given name or surname, an address's local part, or a word of the display name (parts of 4 characters or more).",
  },
  'directory.member_already_in_group': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The object is already a member of the group.',
  },
  'directory.owner_already_in_group': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The user is already an owner of the group.',
  },
  'directory.membership_cycle': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The group would become a member of itself, directly or through groups nested in it.',
  },
  'directory.last_group_owner': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The last owner of a group cannot be removed (add another owner first).',
  },
  'directory.invalid_manager': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'A user cannot be their own manager, and a manager must be a user of the tenant.',
  },
  'directory.last_global_administrator': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: "The tenant's last enabled Global Administrator cannot be deleted, disabled or removed from the role.",
  },
  'directory.restore_conflict': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning:
      'A deleted user cannot be restored: a live object took its user principal name (for example a new invitation of the same address), its mail or one of its identities meanwhile.',
  },
  'directory.app_role_assignment_exists': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The user or group is already assigned to the app with that app role ("Permission being assigned already exists on the object").',
  },
  'tenant.not_found': {
    status: 404,
    graphCode: 'Request_ResourceNotFound',
    meaning: 'No tenant has that id or domain.',
  },
  'tenant.domain_taken': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'The domain is already a domain of a tenant on this instance.',
  },
  // --- invitations -------------------------------------------------------------------------------------
  'invitation.not_allowed': {
    status: 403,
    graphCode: 'Authorization_RequestDenied',
    meaning:
      'The caller may not invite (permission, `authorizationPolicy.allowInvitesFrom`, or the role an invitation of a `Member`, a reset, or a re-invitation of a pending guest who holds an administrator role needs); the message names the rule.',
  },
  'invitation.domain_blocked': {
    status: 403,
    graphCode: 'Authorization_RequestDenied',
    meaning: "The invitee's domain is outside the allow list or inside the deny list of `policies/b2bManagementPolicy`.",
  },
  'invitation.invalid_address': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: '`invitedUserEmailAddress` (or a cc recipient) is not an e-mail address Foyer accepts (no `+`, no group addresses).',
  },
  'invitation.invalid_redirect_url': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: '`inviteRedirectUrl` is not an absolute `https` URL (or `http` on localhost).',
  },
  'invitation.invalid_message': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: '`invitedUserMessageInfo` is out of bounds: the message is too long, more than one cc recipient, or an unknown language tag.',
  },
  'invitation.invitee_is_member': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: "The address belongs to a member of this organization, or to one of its verified domains: add them as a member, don't invite them.",
  },
  'invitation.invitee_unsubscribed': {
    status: 400,
    graphCode: 'BadRequest',
    meaning:
      'The invitee chose "Block future invitations" from this organization, so no invitation e-mail may be sent (audited as "Email not sent, user unsubscribed").',
  },
  'invitation.reset_invalid': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: "`resetRedemption` without `invitedUser.id`, for a user who cannot be reset, or with an address that is not in the user's `mail` or `otherMails`.",
  },
  'invitation.invalid_sponsors': {
    status: 400,
    graphCode: 'BadRequest',
    meaning: 'A sponsor in `invitedUserSponsors` is not a user of this organization, or the guest would have more than 5 sponsors.',
  },
  'invitation.not_found': {
    status: 404,
    graphCode: 'Request_ResourceNotFound',
    meaning: 'No invitation with that id exists in this tenant.',
  },
  'policy.invalid': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning: 'A policy update is inconsistent (both an allow and a deny list, a malformed domain, over 25,000 characters).',
  },
  'agreement.invalid': {
    status: 400,
    graphCode: 'Request_BadRequest',
    meaning:
      'A terms of use agreement is inconsistent: a file that is neither UTF-8 text nor a PDF, two files of one language, not exactly one default file, a malformed ISO 8601 duration, or `isPerDeviceAcceptanceRequired: true` (Foyer has no device registration).',
  },
  // --- server ------------------------------------------------------------------------------------------
  'server.unavailable': {
    status: 503,
    graphCode: 'ServiceNotAvailable',
    meaning:
      'The database is unreachable or not migrated, or a write collided with concurrent writes more often than Foyer retries it (PostgreSQL deadlock or serialization failure); retry later.',
  },
  'server.internal': {
    status: 500,
    graphCode: 'InternalServerError',
    meaning: 'A fault in Foyer. The request id in the body finds the details in the log.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;
