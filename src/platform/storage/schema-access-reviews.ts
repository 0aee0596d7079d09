/**
 * The access review tables (migration 0017, owned by src/governance/) as Kysely sees them: definitions,
 * their instances, and the decision items in each. schema.ts gathers them into the database's shape.
 */
export interface AccessReviewDefinitionsTable {
  id: string;
  tenant_id: string;
  display_name: string;
  description_for_reviewers: string | null;
  /** JSON: the accepted scope (see src/governance/access-review-body.ts). */
  scope: string;
  /** JSON: the reviewers. */
  reviewers: string;
  /** JSON: the reviewers of a guest without sponsors. */
  fallback_reviewers: string;
  /** JSON: duration, recurrence, default decision, apply action. */
  settings: string;
  /** JSON: { id, displayName, userPrincipalName } */
  created_by: string;
  created_at: number;
  next_start_at: number | null;
  instances_started: number;
}

export interface AccessReviewInstancesTable {
  id: string;
  tenant_id: string;
  definition_id: string;
  start_at: number;
  end_at: number;
  /** 'InProgress' | 'Completed' | 'Applying' | 'Applied' */
  status: string;
}

export interface AccessReviewDecisionsTable {
  id: string;
  tenant_id: string;
  instance_id: string;
  principal_id: string;
  principal_display_name: string;
  principal_upn: string;
  principal_mail: string | null;
  last_sign_in_at: number | null;
  /** JSON string[] */
  reviewer_ids: string;
  /** 'Approve' | 'Deny' | 'NotReviewed' */
  decision: string;
  justification: string | null;
  /** JSON { id, displayName, userPrincipalName } or null */
  reviewed_by: string | null;
  reviewed_at: number | null;
  applied_at: number | null;
  apply_result: string;
  delete_due_at: number | null;
  principal_deleted_at: number | null;
  /** users.change_seq of the denied guest right after the apply disabled them. */
  principal_change_seq: number | null;
}
