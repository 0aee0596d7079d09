/**
 * The single source of every configuration option: its environment variable, its default, and why.
 * `docs/configuration.md` is generated from this table (`npm run docs:generate`) and a test fails when
 * the two drift apart.
 */
import { z } from 'zod';

export interface OptionDoc {
  /** Environment variable that sets it. */
  env: string;
  /** Key in the optional JSON config file (`FOYER_CONFIG`). */
  key: string;
  /** A secret: read from the environment only, refused in the config file (it would sit beside the database). */
  secret: boolean;
  /** Default as written in the docs. */
  defaultText: string;
  /** What it does and why the default is what it is. */
  description: string;
}

const durationSeconds = z.coerce.number().int().nonnegative();

export const options = {
  port: {
    env: 'FOYER_PORT',
    schema: z.coerce.number().int().min(0).max(65535).default(8080),
    defaultText: '8080',
    description: 'TCP port the HTTP server listens on. `0` picks a free port (tests use this).',
  },
  host: {
    env: 'FOYER_HOST',
    schema: z.string().min(1).optional(),
    defaultText: '127.0.0.1 in development mode, 0.0.0.0 in production mode',
    description:
      "Address the HTTP server binds to. Development binds this machine's loopback address only, so a development " +
      'instance is not reachable from the network it sits on; production binds every interface, as a container or ' +
      'a host behind a reverse proxy needs. Set `0.0.0.0` to reach a development instance from another machine (or ' +
      '`::` for IPv6 as well). The start log names the address bound.',
  },
  publicUrl: {
    env: 'FOYER_PUBLIC_URL',
    schema: z.string().url().optional(),
    defaultText: 'http://localhost:$FOYER_PORT (https with FOYER_TLS_CERT)',
    description:
      'The URL people and apps use to reach this instance. Issuers (`{publicUrl}/{tenantId}/v2.0`), the Graph ' +
      'audience (`{publicUrl}/graph`), links in e-mail and cookies derive from it. Must be `https` in production mode.',
  },
  tlsCert: {
    env: 'FOYER_TLS_CERT',
    schema: z.string().trim().min(1).optional(),
    defaultText: '(unset: plain http)',
    description:
      'Path (relative to the folder Foyer starts in) to a PEM certificate, the server certificate first and then any ' +
      'intermediates, for Foyer to serve `https` ' +
      'itself; set FOYER_TLS_KEY with it (both or neither). Then FOYER_PUBLIC_URL defaults to ' +
      '`https://localhost:$FOYER_PORT`, and an `http` public URL is refused: issuers, links and cookies must name the ' +
      "scheme Foyer answers on. Cookies are `Secure` (and Foyer's own `__Host-` prefixed) whenever the public URL is " +
      '`https`, in either mode. Meant for development (`npx foyer dev certificate` makes a local certificate authority and a certificate for ' +
      "localhost), where the Graph SDKs' https-only behaviour (token handling, paging) is then the real one; in production " +
      'a reverse proxy usually terminates TLS instead. Both files are read at start: a restart picks up a renewed certificate.',
  },
  tlsKey: {
    env: 'FOYER_TLS_KEY',
    schema: z.string().trim().min(1).optional(),
    defaultText: '(unset: plain http)',
    description: "Path to the PEM private key of FOYER_TLS_CERT's certificate (keep it readable by Foyer only).",
  },
  databaseUrl: {
    env: 'FOYER_DATABASE_URL',
    schema: z.string().min(1).default('sqlite:./.foyer/foyer.db'),
    defaultText: 'sqlite:./.foyer/foyer.db',
    description:
      '`sqlite:<path>` for the embedded database (the directory is created), or `postgres://user@host:port/db`. ' +
      'A `?schema=name` parameter on a PostgreSQL URL keeps Foyer in its own schema (created if missing).',
  },
  tenantDomainSuffix: {
    env: 'FOYER_TENANT_DOMAIN_SUFFIX',
    schema: z.string().min(1).optional(),
    defaultText: 'host name of FOYER_PUBLIC_URL',
    description:
      "Each tenant gets an initial domain `<slug>.<suffix>` (like Entra's `contoso.onmicrosoft.com`); it names " +
      "its members' user principal names and its guests' `#EXT#` names.",
  },
  smtpUrl: {
    env: 'FOYER_SMTP_URL',
    schema: z.string().url().optional(),
    defaultText: '(unset)',
    description:
      "`smtp://host:port` or `smtps://user:pass@host:port` (nodemailer's URL form). Unset: in development mode mail " +
      'goes to the development mailbox at `/_dev/mailbox` (served only to requests from this machine); in ' +
      'production mode it stays queued, with a warning at start, until a server is configured.',
  },
  mailFrom: {
    env: 'FOYER_MAIL_FROM',
    schema: z.string().min(3).default('Foyer Invitations <invites@localhost>'),
    defaultText: 'Foyer Invitations <invites@localhost>',
    description: 'The `From` of every e-mail Foyer sends.',
  },
  mode: {
    env: 'FOYER_MODE',
    schema: z.enum(['development', 'production']).default('development'),
    defaultText: 'development',
    description:
      '`production` requires an `https` public URL, marks cookies `Secure`, and never serves the development ' +
      'mailbox. `development` prints a warning at start.',
  },
  logLevel: {
    env: 'FOYER_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    defaultText: 'info',
    description: 'Level of the JSON log written to standard output.',
  },
  trustProxy: {
    env: 'FOYER_TRUST_PROXY',
    schema: z
      .string()
      .trim()
      .default('false')
      .transform((v, ctx) => {
        if (v === 'false' || v === '0' || v === '') return false as const;
        if (/^[1-9][0-9]?$/.test(v)) return Number(v);
        const list = v
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
        if (list.length && list.every((p) => /^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(p))) return list.join(',');
        ctx.addIssue({
          code: 'custom',
          message: 'expected false, a number of proxy hops (e.g. 1), or a comma-separated list of proxy addresses or CIDR ranges',
        });
        return z.NEVER;
      }),
    defaultText: 'false',
    description:
      'Which `X-Forwarded-For` entries to believe for the client address (rate limits, logs): `false`, the number of ' +
      'reverse proxies in front of Foyer (e.g. `1`), or their addresses or CIDR ranges (e.g. `10.0.0.0/8,127.0.0.1`). ' +
      'There is no `true`: trusting every hop lets a client choose its own address and escape the per-address limits.',
  },
  idpAllowPrivateNetworks: {
    env: 'FOYER_IDP_ALLOW_PRIVATE_NETWORKS',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false', '1', '0']))
      .transform((v) => v === 'true' || v === '1')
      .optional(),
    defaultText: '`true` in development mode, `false` in production mode',
    description:
      'Whether Foyer may call external identity providers (OpenID discovery, signing keys, token and userinfo requests) ' +
      'on loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata ' +
      'address, fe80::/10), shared (100.64/10) and other non-public addresses. The address checked is the one each ' +
      'connection uses, after DNS, so a name that resolves to such an address is refused too; redirects are not followed. ' +
      'Guests start these requests without signing in: allowing them lets an administrator point Foyer at its own ' +
      'network. Development allows them so that a provider under test can run on `localhost`.',
  },
  signInAttemptLimit: {
    env: 'FOYER_SIGNIN_ATTEMPT_LIMIT',
    schema: z.coerce.number().int().positive().default(10),
    defaultText: '10',
    description:
      'Password attempts allowed for one account from one client address within the sign-in window; the account ' +
      'from all addresses together, and one address across all accounts, get five times as many. Past a limit ' +
      'sign-in is refused with a "try again later" page before the password is checked. A success clears the ' +
      "account's count. Slows online guessing without letting a stranger lock someone out for long. Also the " +
      'attempts a member gets, per window, at choosing the new password an administrator asked for. Five times it is ' +
      'also how many sign-in links one client address may ask for per window on the "My organizations" page, and it ' +
      'is how many one email address may be sent per window there.',
  },
  signInAttemptWindowSeconds: {
    env: 'FOYER_SIGNIN_ATTEMPT_WINDOW',
    schema: durationSeconds.default(900),
    defaultText: '900 (15 minutes)',
    description: 'Length, in seconds, of the window the failed-attempt limit counts over.',
  },
  signInLog: {
    env: 'FOYER_SIGNIN_LOG',
    schema: z.enum(['on', 'off']).default('on'),
    defaultText: 'on',
    description:
      "`on`: every sign-in attempt (successful or not, interactive or an app's own) is kept in the sign-in log " +
      "(Graph's `auditLogs/signIns`) and updates the user's `signInActivity`. `off` keeps neither: for measuring " +
      'what the log costs (`npm run bench`), not for production.',
  },
  signInLogRetentionDays: {
    env: 'FOYER_SIGNIN_LOG_RETENTION_DAYS',
    schema: z.coerce.number().int().positive().default(30),
    defaultText: '30',
    description: 'Days a sign-in log entry is kept before housekeeping deletes it (Entra keeps its sign-in logs 30 days).',
  },
  signInLogFlushMs: {
    env: 'FOYER_SIGNIN_LOG_FLUSH_MS',
    schema: z.coerce.number().int().positive().default(1000),
    defaultText: '1000 (1 second)',
    description:
      "The sign-in log is written in batches, off the sign-in's own request: entries are held in memory and written " +
      'together this many milliseconds after the first of them (or at once when 500 are waiting), with each ' +
      "user's `signInActivity`, and on shutdown. A process that crashes loses the entries of at most this interval.",
  },
  sessionTtlSeconds: {
    env: 'FOYER_SESSION_TTL',
    schema: durationSeconds.default(8 * 3600),
    defaultText: '28800 (8 hours)',
    description: 'Lifetime, in seconds, of the instance browser session that gives single sign-on across tenants.',
  },
  accessTokenTtlSeconds: {
    env: 'FOYER_ACCESS_TOKEN_TTL',
    schema: durationSeconds.default(3600),
    defaultText: '3600 (1 hour)',
    description: 'Lifetime, in seconds, of access tokens (Entra issues 60–90 minute tokens).',
  },
  refreshTokenTtlSeconds: {
    env: 'FOYER_REFRESH_TOKEN_TTL',
    schema: durationSeconds.default(14 * 24 * 3600),
    defaultText: '1209600 (14 days)',
    description: 'Lifetime, in seconds, of refresh tokens. Each use rotates the token.',
  },
  keyRotationGraceSeconds: {
    env: 'FOYER_KEY_ROTATION_GRACE',
    schema: durationSeconds.default(7 * 24 * 3600),
    defaultText: '604800 (7 days)',
    description: 'How long, in seconds, a rotated-out signing key stays published in the JWKS so tokens it signed keep ' + 'validating.',
  },
  providerCacheSize: {
    env: 'FOYER_PROVIDER_CACHE_SIZE',
    schema: z.coerce.number().int().positive().default(200),
    defaultText: '200',
    description: "How many tenants' OpenID providers a process keeps built in memory (least recently used go first).",
  },
  bodyLimitBytes: {
    env: 'FOYER_BODY_LIMIT',
    schema: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    defaultText: '1048576 (1 MiB)',
    description: 'Largest request body accepted; larger ones get `413` with a Graph error body.',
  },
  passcodeSendLimit: {
    env: 'FOYER_PASSCODE_SEND_LIMIT',
    schema: z.coerce.number().int().positive().default(20),
    defaultText: '20',
    description:
      'One-time passcodes one address may be sent within 15 minutes, per tenant, from all browsers together (one ' +
      'browser may ask for 5). Each code allows five tries, so this bounds guessing too; it is higher than the ' +
      "per-browser limit so that one browser asking for someone else's codes cannot lock the owner out. Past it " +
      'the page asks the person to wait.',
  },
  passcodeSendIpLimit: {
    env: 'FOYER_PASSCODE_SEND_IP_LIMIT',
    schema: z.coerce.number().int().positive().default(30),
    defaultText: '30',
    description:
      'One-time passcodes one client address may ask for within 15 minutes, whatever the addresses (stops one ' +
      'machine from mailing many people). Behind a proxy, set FOYER_TRUST_PROXY so the client address is known.',
  },
  invitationRateLimit: {
    env: 'FOYER_INVITATION_RATE_LIMIT',
    schema: z.coerce.number().int().positive().default(150),
    defaultText: '150',
    description:
      'Requests to `POST /invitations` one tenant may make within the invitation window, all apps and people ' +
      "together (Entra's limit: 150 per 5 seconds per tenant). Past it the answer is `429` with `Retry-After`.",
  },
  invitationRateWindowSeconds: {
    env: 'FOYER_INVITATION_RATE_WINDOW',
    schema: z.coerce.number().int().positive().default(5),
    defaultText: '5',
    description: 'Length, in seconds, of the window the invitation limit counts over.',
  },
  mailDelivery: {
    env: 'FOYER_MAIL_DELIVERY',
    schema: z.enum(['on', 'off']).default('on'),
    defaultText: 'on',
    description:
      '`on`: this process delivers queued e-mail (every process may; they share the queue without sending a ' +
      'message twice). `off`: this process only queues, for deployments that run delivery elsewhere.',
  },
  mailPollIntervalSeconds: {
    env: 'FOYER_MAIL_POLL_INTERVAL',
    schema: z.coerce.number().positive().max(3600).default(1),
    defaultText: '1',
    description:
      'Seconds between looks at the outbox for due messages (fractions allowed). A message queued by the same ' +
      'process is picked up at once; this bounds the delay for retries and for messages queued by other processes.',
  },
  mailRetryBaseSeconds: {
    env: 'FOYER_MAIL_RETRY_BASE',
    schema: z.coerce.number().positive().default(60),
    defaultText: '60',
    description:
      'Wait before the first retry of a message the SMTP server refused for now (4xx, no connection); each ' +
      'further retry waits twice as long, ±20%, up to the maximum below.',
  },
  mailRetryMaxSeconds: {
    env: 'FOYER_MAIL_RETRY_MAX',
    schema: z.coerce.number().positive().default(3600),
    defaultText: '3600 (1 hour)',
    description: 'Longest wait between two delivery attempts.',
  },
  mailMaxAttempts: {
    env: 'FOYER_MAIL_MAX_ATTEMPTS',
    schema: z.coerce.number().int().positive().max(100).default(10),
    defaultText: '10',
    description:
      'Attempts before a message is marked `failed` (about 8.5 hours with the defaults). A permanent refusal ' +
      '(SMTP 5xx) marks it `failed` at once. The reason is shown with the invitation.',
  },
  masterKey: {
    env: 'FOYER_MASTER_KEY',
    schema: z.string().trim().min(1).optional(),
    secret: true,
    defaultText: '(unset)',
    description:
      'The master key (key-encryption key): 32 bytes as base64 or 64 hex digits, e.g. from `npx foyer keys generate` or ' +
      '`openssl rand -base64 32`. Every secret Foyer keeps in its database (signing keys, cookie keys, the link and ' +
      'sealing keys) is stored encrypted under it (AES-256-GCM), so a copy of the database alone signs nothing. Keep it ' +
      'outside the database and its backups. Required in production mode (this or FOYER_MASTER_KEY_FILE); in ' +
      'development, when neither is set, Foyer creates `master.key` (0600) beside the SQLite file (`./.foyer/` for ' +
      'PostgreSQL) on first start.',
  },
  masterKeyFile: {
    env: 'FOYER_MASTER_KEY_FILE',
    schema: z.string().trim().min(1).optional(),
    defaultText: '(unset)',
    description:
      'Path to a file holding the master key instead (a mounted secret; make it readable by Foyer only). Its first ' +
      'line is the key; further lines are previous keys, still accepted for reading during a rollover.',
  },
  masterKeyPrevious: {
    env: 'FOYER_MASTER_KEY_PREVIOUS',
    schema: z.string().trim().min(1).optional(),
    secret: true,
    defaultText: '(unset)',
    description:
      'Previous master keys (comma-separated) this process still reads while rolling over to a new one: give every ' +
      'process the new key and the old one here, run `npx foyer keys rewrap`, then remove this. See "Rolling over the ' +
      'master key" in the README.',
  },
} as const;

export type OptionName = keyof typeof options;

export type Config = {
  port: number;
  /** Undefined: the mode decides (see `bindAddress` in src/server.ts). */
  host: string | undefined;
  publicUrl: string;
  /** Paths of the PEM certificate and key Foyer serves https with; both or neither (`loadConfig` checks). */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  databaseUrl: string;
  tenantDomainSuffix: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  mode: 'development' | 'production';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  trustProxy: false | number | string;
  /** Undefined: the mode decides (allowed in development, refused in production). */
  idpAllowPrivateNetworks: boolean | undefined;
  signInAttemptLimit: number;
  signInAttemptWindowSeconds: number;
  signInLog: 'on' | 'off';
  signInLogRetentionDays: number;
  signInLogFlushMs: number;
  sessionTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  keyRotationGraceSeconds: number;
  providerCacheSize: number;
  bodyLimitBytes: number;
  passcodeSendLimit: number;
  passcodeSendIpLimit: number;
  invitationRateLimit: number;
  invitationRateWindowSeconds: number;
  mailDelivery: 'on' | 'off';
  mailPollIntervalSeconds: number;
  mailRetryBaseSeconds: number;
  mailRetryMaxSeconds: number;
  mailMaxAttempts: number;
  masterKey: string | undefined;
  masterKeyFile: string | undefined;
  masterKeyPrevious: string | undefined;
};

export function optionDocs(): OptionDoc[] {
  return Object.entries(options).map(([key, o]) => ({
    env: o.env,
    key,
    secret: 'secret' in o && o.secret === true,
    defaultText: o.defaultText,
    description: o.description,
  }));
}
