/**
 * The terms of use tables (migration 0016) as Kysely sees them: agreements and their acceptances (owned by
 * src/governance/) and the sign-in's terms gate (owned by src/web/kit/). schema.ts gathers them into the
 * database's shape.
 */

export interface AgreementsTable {
  id: string;
  tenant_id: string;
  display_name: string;
  /** 1 | 0 */
  is_viewing_before_acceptance_required: number;
  /** ISO 8601 duration, or null */
  user_reaccept_required_frequency: string | null;
  /** JSON: { startDateTime, frequency }, or null */
  terms_expiration: string | null;
  /** JSON: the per-language files, see src/governance/terms-store.ts */
  files: string;
  version: number;
  created_at: number;
  modified_at: number | null;
}

export interface AgreementAcceptancesTable {
  id: string;
  tenant_id: string;
  agreement_id: string;
  user_id: string;
  user_display_name: string | null;
  user_principal_name: string | null;
  user_email: string | null;
  version: number;
  agreement_file_id: string;
  /** 'accepted' | 'declined' */
  state: string;
  recorded_at: number;
  expires_at: number | null;
}

export interface TermsGatesTable {
  id_hash: string;
  /** JSON: the terms step's state, see src/web/kit/terms-gate.ts */
  payload: string;
  created_at: number;
  expires_at: number;
}
