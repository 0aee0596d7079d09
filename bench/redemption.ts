/**
 * Redemption under load, scripted over HTTP (no browser): each virtual guest opens a fresh invitation
 * link, asks for a one-time passcode, reads it from the e-mail a real SMTP server on loopback received,
 * types it, accepts, and lands on the redirect URL. Then the redeemed guests sign in to an app of the
 * tenant again and again (authorization code + PKCE with single sign-on from their browser session,
 * code redeemed at the token endpoint): guest tokens per second.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { forms, HttpBrowser } from '../test/support/http-browser.js';
import { runWorkers, type Timed } from './measure.js';

export type { Timed };

export interface CodeInbox {
  port: number;
  /** Resolves with the next code mailed to `address`. */
  next(address: string): Promise<string>;
  close(): Promise<void>;
}

export async function startCodeInbox(): Promise<CodeInbox> {
  const waiting = new Map<string, (code: string) => void>();
  const arrived = new Map<string, string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0]?.address.toLowerCase() ?? '';
        const code = /\b(\d{8})\b/.exec(text)?.[1];
        if (code) {
          const resolve = waiting.get(to);
          if (resolve) {
            waiting.delete(to);
            resolve(code);
          } else arrived.set(to, code);
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    next(address) {
      const lower = address.toLowerCase();
      const ready = arrived.get(lower);
      if (ready) {
        arrived.delete(lower);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        waiting.set(lower, resolve);
        setTimeout(() => reject(new Error(`no code for ${address}`)), 30_000).unref();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface RedemptionBench {
  redemptions: Timed;
  guestTokens: Timed;
}

export async function benchRedemption(o: {
  publicUrl: string;
  tenantId: string;
  graphToken: string;
  inbox: CodeInbox;
  app: { appId: string; clientSecret: string; redirectUri: string };
  workers: number;
  seconds: number;
}): Promise<RedemptionBench> {
  let n = 0;
  const guests: HttpBrowser[] = [];
  const invite = async (address: string): Promise<string> => {
    const res = await fetch(`${o.publicUrl}/graph/v1.0/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.graphToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invitedUserEmailAddress: address, inviteRedirectUrl: 'https://apps.bench.example/welcome' }),
    });
    if (res.status !== 201) throw new Error(`invitation: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { inviteRedeemUrl: string }).inviteRedeemUrl;
  };
  // The invitation is the inviter's work, not the guest's: made before the clock starts.
  const redeemOnce = async (link: string, address: string) => {
    const b = new HttpBrowser();
    const step = await b.press(await b.go(link), 'Next');
    const sent = await b.press(step, 'Send code');
    const code = await o.inbox.next(address);
    const consent = await b.submit(
      sent,
      forms(sent).findIndex((f) => 'code' in f.fields),
      { code },
    );
    const landed = await b.press(consent, 'Accept', {}, (u) => u.startsWith('https://apps.bench.example/'));
    if (!landed.url.startsWith('https://apps.bench.example/')) throw new Error(`redemption ended at ${landed.url} (${landed.status})`);
    guests.push(b);
  };
  const nextInvitation = async () => {
    const address = `redeem${n}@guests${n % 20}.example`;
    n++;
    return { link: await invite(address), address };
  };
  const pending: Array<{ link: string; address: string }> = [];
  for (let i = 0; i < o.workers * 150; i++) pending.push(await nextInvitation());
  // Warm-up: one redemption per worker.
  await Promise.all(pending.splice(0, o.workers).map((p) => redeemOnce(p.link, p.address)));
  const redemptions = await runWorkers(o.workers, o.seconds, async () => {
    const next = pending.shift();
    if (!next) throw new Error('ran out of prepared invitations');
    await redeemOnce(next.link, next.address);
  });

  // Guest tokens: authorize (single sign-on from the browser session) → code → token endpoint.
  const token = async (b: HttpBrowser) => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const params = new URLSearchParams({
      client_id: o.app.appId,
      response_type: 'code',
      redirect_uri: o.app.redirectUri,
      scope: 'openid profile email',
      state: randomBytes(8).toString('hex'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const back = await b.go(`${o.publicUrl}/${o.tenantId}/oauth2/v2.0/authorize?${params}`, {}, (u) => u.startsWith(o.app.redirectUri));
    const code = new URL(back.url).searchParams.get('code');
    if (!code) throw new Error(`no code: ${back.status} ${back.url}`);
    const res = await fetch(`${o.publicUrl}/${o.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${o.app.appId}:${o.app.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: o.app.redirectUri, code_verifier: verifier }),
    });
    const body = (await res.json()) as { id_token?: string };
    if (!body.id_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
    if (!JSON.parse(Buffer.from(body.id_token.split('.')[1]!, 'base64url').toString()).acct) throw new Error('not a guest token');
  };
  for (const b of guests.slice(0, o.workers)) await token(b);
  const guestTokens = await runWorkers(o.workers, o.seconds, (w) => token(guests[w % guests.length]!));
  return { redemptions, guestTokens };
}
