/**
 * Reading invitations back (never their tickets): by id, and newest first for a tenant or a guest. The
 * guest's current UPN comes from the directory (null once the guest is deleted).
 */
import { findUserPrincipalNames } from '../directory/invited-users.js';
import type { Executor } from '../platform/storage/database.js';
import type { InvitationsTable } from '../platform/storage/schema.js';

/** The Graph `invitation` properties Foyer keeps (all but the redeem link). */
export interface InvitationFields {
  id: string;
  invitedUserDisplayName: string | null;
  invitedUserEmailAddress: string;
  invitedUserType: 'Guest' | 'Member';
  inviteRedirectUrl: string;
  sendInvitationMessage: boolean;
  resetRedemption: boolean;
  status: 'PendingAcceptance' | 'Completed';
  messageLanguage: string | null;
  customizedMessageBody: string | null;
  ccRecipient: { address: string; name: string | null } | null;
}

export interface StoredInvitation extends InvitationFields {
  /** null when the guest has since been deleted */
  invitedUser: { id: string; userPrincipalName: string | null };
  ticketState: string;
  ticketExpiresAt: number | null;
  createdAt: number;
}

const COLUMNS = [
  'invitations.id',
  'invitations.invited_display_name',
  'invitations.invited_email',
  'invitations.invited_user_type',
  'invitations.redirect_url',
  'invitations.send_message',
  'invitations.reset_redemption',
  'invitations.status',
  'invitations.message_language',
  'invitations.message_body',
  'invitations.cc_address',
  'invitations.cc_name',
  'invitations.user_id',
  'invitations.ticket_state',
  'invitations.ticket_expires_at',
  'invitations.created_at',
] as const;

type Row = Pick<
  InvitationsTable,
  | 'id'
  | 'invited_display_name'
  | 'invited_email'
  | 'invited_user_type'
  | 'redirect_url'
  | 'send_message'
  | 'reset_redemption'
  | 'status'
  | 'message_language'
  | 'message_body'
  | 'cc_address'
  | 'cc_name'
  | 'user_id'
  | 'ticket_state'
  | 'ticket_expires_at'
  | 'created_at'
>;

function fromRow(r: Row, upns: Map<string, string>): StoredInvitation {
  return {
    id: r.id,
    invitedUserDisplayName: r.invited_display_name,
    invitedUserEmailAddress: r.invited_email,
    invitedUserType: r.invited_user_type as StoredInvitation['invitedUserType'],
    inviteRedirectUrl: r.redirect_url,
    sendInvitationMessage: r.send_message === 1,
    resetRedemption: r.reset_redemption === 1,
    status: r.status as StoredInvitation['status'],
    messageLanguage: r.message_language,
    customizedMessageBody: r.message_body,
    ccRecipient: r.cc_address ? { address: r.cc_address, name: r.cc_name } : null,
    invitedUser: { id: r.user_id, userPrincipalName: upns.get(r.user_id) ?? null },
    ticketState: r.ticket_state,
    ticketExpiresAt: r.ticket_expires_at,
    createdAt: r.created_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findInvitation(db: Executor, tenantId: string, id: string): Promise<StoredInvitation | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = await db
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('invitations.tenant_id', '=', tenantId)
    .where('invitations.id', '=', id.toLowerCase())
    .executeTakeFirst();
  return row ? fromRow(row, await findUserPrincipalNames(db, [row.user_id])) : undefined;
}

/** Newest first; `before` is the last id of the previous page (ids are time-ordered UUIDv7). */
export async function listInvitations(
  db: Executor,
  tenantId: string,
  q: { top: number; before?: string | undefined; userId?: string | undefined },
): Promise<{ items: StoredInvitation[]; next?: string }> {
  let query = db
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('invitations.tenant_id', '=', tenantId)
    .orderBy('invitations.id', 'desc')
    .limit(q.top + 1);
  if (q.before) query = query.where('invitations.id', '<', q.before);
  if (q.userId) query = query.where('invitations.user_id', '=', q.userId.toLowerCase());
  const rows = await query.execute();
  const page = rows.slice(0, q.top);
  const upns = await findUserPrincipalNames(
    db,
    page.map((r) => r.user_id),
  );
  const items = page.map((r) => fromRow(r, upns));
  return rows.length > q.top ? { items, next: items.at(-1)!.id } : { items };
}
