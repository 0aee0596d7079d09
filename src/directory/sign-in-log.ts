/**
 * The sign-in log (`sign_in_records`, Graph's `auditLogs/signIns`) and users' `signInActivity`.
 *
 * Every sign-in attempt in a tenant is logged: a member's password (right or wrong), an account name that
 * matched no one (logged with the name as typed: the log is for administrators, the sign-in page never
 * says who exists), a guest's sign-in, the second factor's outcome, an app refused to an unassigned user,
 * an app's own token (client credentials, non-interactive).
 *
 * Logging must not slow signing in, so `logSignIn` only queues the entry in memory; a per-app writer
 * (`service`) writes the queue in one transaction `signInLogFlushMs` after its first entry, or at once
 * when `FLUSH_AT` entries wait, and on shutdown (the directory's worker). The same flush sets each user's
 * `last_sign_in_at` / `last_successful_sign_in_at`, one UPDATE per user per flush. A process that crashes
 * loses what it had not flushed: at most one interval of entries.
 *
 * The queue is bounded: at most `MAX_QUEUED` entries wait or are being written (a database that is down or
 * slow must not let the log take the process's memory). Beyond that, entries are dropped and counted, and
 * one warning per flush says how many. A batch that fails is retried once without the entries of tenants
 * deleted meanwhile (the only row a batch can refuse); if it fails again, it is dropped with a warning.
 */
import { sql } from 'kysely';
import { type AppContext, service } from '../platform/context.js';
import type { Worker } from '../platform/feature.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../platform/storage/database.js';
import type { SignInRecordsTable } from '../platform/storage/schema.js';

/** Graph's `appliedConditionalAccessPolicy`, as the MFA feature evaluates it. */
export interface AppliedConditionalAccessPolicy {
  id: string;
  displayName: string;
  enforcedGrantControls: string[];
  enforcedSessionControls: string[];
  result: string;
}

/** One sign-in attempt, as the code that saw it knows it. The writer adds the user's and the app's names. */
export interface SignInAttempt {
  tenantId: string;
  /** The user, or null: the typed name matched no user (see `typedName`), or an app signed in as itself. */
  userId: string | null;
  /** The account name as typed, kept when it matched no user. */
  typedName?: string;
  /** The app's client id (Graph's `appId`). */
  appId: string | null;
  ipAddress?: string | null;
  /** Graph's `clientAppUsed`; `Browser` for interactive sign-ins unless said otherwise. */
  clientAppUsed?: string;
  /** Default true (a person at a sign-in page). */
  isInteractive?: boolean;
  /** 0 on success, else Entra's AADSTS number (50126: wrong password, 50074: strong authentication required …). */
  errorCode: number;
  /** Default: Entra's wording for the code (`failureReasons`). */
  failureReason?: string | null;
  /** The methods used (amr). */
  amr?: readonly string[];
  /** Graph's `appliedConditionalAccessPolicies`, report-only ones included. */
  appliedConditionalAccessPolicies?: readonly AppliedConditionalAccessPolicy[];
  /** The tenant the user's home account belongs to, when known (a guest whose home is a tenant here). */
  homeTenantId?: string | null;
  /**
   * The tenant the sign-in was for, when not `tenantId`: a home account proven (in its own tenant's log)
   * for a guest's sign-in to another tenant. Its entry is then a B2B collaboration.
   */
  resourceTenantId?: string;
  /** Epoch ms; default the clock's now. */
  at?: number;
}

/** Entra's wording of the sign-in errors Foyer logs. */
export const failureReasons: Readonly<Record<number, string>> = {
  50034: 'The user account does not exist in the directory.',
  50053: 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.',
  50057: 'User account is disabled. The account has been disabled by an administrator.',
  50074: 'Strong Authentication is required.',
  50105: 'The signed in user is not assigned to a role for the application.',
  50126: 'Error validating credentials due to invalid username or password.',
  500121: 'Authentication failed during strong authentication request.',
  7000215: 'Invalid client secret is provided.',
};

/** Entries waiting beyond this many are written at once. */
export const FLUSH_AT = 500;
/** Entries queued and being written at most; more are dropped (and counted in a warning). */
export const MAX_QUEUED = 10_000;
/** Rows per INSERT statement (bounds the statement's parameters on both backends). */
const INSERT_CHUNK = 100;

type Row = SignInRecordsTable;

class SignInLogWriter {
  private pending: Row[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** After shutdown began: each entry is written at once (a request still finishing during the close). */
  private stopped = false;
  /** Entries handed to flushes not yet finished. */
  private inFlight = 0;
  /** Entries dropped since the last warning. */
  private dropped = 0;
  /** The bound on queued + in-flight entries (`MAX_QUEUED`; tests set a small one). */
  cap = MAX_QUEUED;

  constructor(private readonly ctx: AppContext) {}

  add(row: Row): void {
    if (this.pending.length + this.inFlight >= this.cap) {
      // Written nowhere: counted, and said once per flush (not once per entry, which would flood the log).
      this.dropped++;
      if (this.stopped) void this.flush();
      else if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), this.ctx.config.signInLogFlushMs);
        this.timer.unref();
      }
      return;
    }
    this.pending.push(row);
    if (this.stopped || this.pending.length >= FLUSH_AT) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.ctx.config.signInLogFlushMs);
      this.timer.unref();
    }
  }

  /** Writes what is queued; resolves once it (and every earlier flush) is written. Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dropped > 0) {
      this.ctx.log.warn(
        { dropped: this.dropped, cap: this.cap },
        `sign-in log: ${this.dropped} entries dropped, ${this.cap} were already waiting to be written (is the database slow or down?)`,
      );
      this.dropped = 0;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.writing;
    this.inFlight += batch.length;
    // One flush after the other, so that a user's signInActivity only ever moves forward.
    this.writing = this.writing
      .then(() => writeBatch(this.ctx, batch))
      .catch((err: unknown) => this.ctx.log.warn({ err, entries: batch.length }, 'sign-in log entries could not be written'))
      .finally(() => {
        this.inFlight -= batch.length;
      });
    return this.writing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  get queued(): number {
    return this.pending.length;
  }
}

const WRITER = Symbol('sign-in log writer');
const writer = (ctx: AppContext) => service(ctx, WRITER, () => new SignInLogWriter(ctx));

/**
 * Queues one sign-in attempt for the log (nothing is awaited: the sign-in goes on). With `FOYER_SIGNIN_LOG=off`
 * nothing is kept.
 */
export function logSignIn(ctx: AppContext, attempt: SignInAttempt): void {
  if (ctx.config.signInLog === 'off') return;
  writer(ctx).add(rowOf(ctx, attempt));
}

/** Writes every queued entry now (tests; the shutdown). */
export function flushSignInLog(ctx: AppContext): Promise<void> {
  return writer(ctx).flush();
}

/** Entries queued and not yet written (the bench and tests). */
export function queuedSignIns(ctx: AppContext): number {
  return writer(ctx).queued;
}

/** Sets this app's bound on queued + in-flight entries (default `MAX_QUEUED`; tests use a small one). */
export function setSignInLogCap(ctx: AppContext, cap: number): void {
  writer(ctx).cap = cap;
}

/** The directory's worker: nothing runs on a timer beyond the writer's own; on stop, the queue is written. */
export function signInLogWorker(ctx: AppContext): Worker {
  return { stop: () => writer(ctx).stop() };
}

/**
 * Writes one attempt at once, unbatched, through `db` (a caller's transaction), for callers without an app
 * context; `at` is required. Prefer `logSignIn`, which does not make the sign-in wait.
 */
export async function writeSignInRecord(db: Executor, attempt: SignInAttempt & { at: number }): Promise<void> {
  await writeRows(db, await withNames(db, [rowOf({ clock: { now: () => attempt.at } }, attempt)]));
}

function rowOf(ctx: Pick<AppContext, 'clock'>, a: SignInAttempt): Row {
  const interactive = a.isInteractive ?? true;
  return {
    id: newId(),
    tenant_id: a.tenantId,
    created_at: a.at ?? ctx.clock.now(),
    user_id: a.userId,
    user_display_name: null,
    user_principal_name: a.userId ? null : (a.typedName?.slice(0, 256) ?? null),
    user_type: null,
    app_id: a.appId,
    app_display_name: null,
    ip_address: a.ipAddress ?? null,
    client_app_used: a.clientAppUsed ?? (interactive ? 'Browser' : 'Mobile Apps and Desktop clients'),
    home_tenant_id: a.homeTenantId ?? null,
    resource_tenant_id: a.resourceTenantId ?? a.tenantId,
    cross_tenant_access_type: a.resourceTenantId && a.resourceTenantId !== a.tenantId ? 'b2bCollaboration' : null,
    is_interactive: interactive ? 1 : 0,
    error_code: a.errorCode,
    failure_reason: a.failureReason !== undefined ? a.failureReason : a.errorCode === 0 ? null : (failureReasons[a.errorCode] ?? 'Other.'),
    amr: JSON.stringify(a.amr ?? []),
    applied_policies: JSON.stringify(a.appliedConditionalAccessPolicies ?? []),
  };
}

/** The users' and apps' names and kinds, as they are when the batch is written (two queries per batch). */
async function withNames(db: Executor, rows: Row[]): Promise<Row[]> {
  const userIds = [...new Set(rows.flatMap((r) => (r.user_id ? [r.user_id] : [])))];
  const appIds = [...new Set(rows.flatMap((r) => (r.app_id ? [r.app_id] : [])))];
  const users = userIds.length
    ? await db.selectFrom('users').select(['id', 'tenant_id', 'display_name', 'user_principal_name', 'user_type']).where('id', 'in', userIds).execute()
    : [];
  const apps = appIds.length ? await db.selectFrom('applications').select(['tenant_id', 'app_id', 'display_name']).where('app_id', 'in', appIds).execute() : [];
  const userById = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => {
    const user = r.user_id ? userById.get(r.user_id) : undefined;
    const app = r.app_id ? (apps.find((a) => a.app_id === r.app_id && a.tenant_id === r.tenant_id) ?? apps.find((a) => a.app_id === r.app_id)) : undefined;
    const guest = user?.user_type === 'Guest';
    return {
      ...r,
      user_display_name: user?.display_name ?? r.user_display_name,
      user_principal_name: user?.user_principal_name ?? r.user_principal_name,
      user_type: user?.user_type ?? r.user_type,
      app_display_name: app?.display_name ?? r.app_display_name,
      // A member's home is this tenant; a guest's is where the caller said (null when not a tenant here).
      home_tenant_id: user && !guest ? r.tenant_id : r.home_tenant_id,
      cross_tenant_access_type: guest ? 'b2bCollaboration' : (r.cross_tenant_access_type ?? 'none'),
    };
  });
}

async function writeRows(db: Executor, rows: Row[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await db
      .insertInto('sign_in_records')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  // One UPDATE per user: the latest attempt, and the latest success, of this batch.
  const latest = new Map<string, { any: number; success: number | null }>();
  for (const r of rows) {
    if (!r.user_id || r.is_interactive !== 1) continue;
    const seen = latest.get(r.user_id) ?? { any: 0, success: null };
    seen.any = Math.max(seen.any, r.created_at);
    if (r.error_code === 0) seen.success = Math.max(seen.success ?? 0, r.created_at);
    latest.set(r.user_id, seen);
  }
  // In id order, so two processes flushing at once lock the same users in the same order; a time only
  // moves forward (another process may have written a later one).
  const later = (column: 'last_sign_in_at' | 'last_successful_sign_in_at', at: number) =>
    sql<number>`case when ${sql.ref(column)} is null or ${sql.ref(column)} < ${at} then ${at} else ${sql.ref(column)} end`;
  for (const [userId, at] of [...latest].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await db
      .updateTable('users')
      .set(
        at.success === null
          ? { last_sign_in_at: later('last_sign_in_at', at.any) }
          : { last_sign_in_at: later('last_sign_in_at', at.any), last_successful_sign_in_at: later('last_successful_sign_in_at', at.success) },
      )
      .where('id', '=', userId)
      .execute();
  }
}

async function writeBatch(ctx: AppContext, batch: Row[]): Promise<void> {
  try {
    // The names are read before the transaction: on SQLite it may share one commit with sign-ins' own writes.
    const named = await withNames(ctx.db.kysely, batch);
    await ctx.db.transaction((trx) => writeRows(trx, named));
  } catch (err) {
    // The one entry a batch can refuse is one whose tenant was deleted meanwhile: retry once without those
    // (not entry by entry, which against a database that is down would be thousands of failures).
    ctx.log.debug({ err }, 'sign-in log batch failed; retrying without entries of deleted tenants');
    const tenantIds = [...new Set(batch.map((r) => r.tenant_id))];
    const live = new Set((await ctx.db.kysely.selectFrom('tenants').select('id').where('id', 'in', tenantIds).execute()).map((t) => t.id));
    const kept = batch.filter((r) => live.has(r.tenant_id));
    if (kept.length === 0) return;
    const named = await withNames(ctx.db.kysely, kept);
    await ctx.db.transaction((trx) => writeRows(trx, named));
  }
}
