/**
 * The certificate and key Foyer serves https with (`FOYER_TLS_CERT`, `FOYER_TLS_KEY`), read and checked
 * at start so that a wrong file stops the start with a sentence naming the setting, not with an OpenSSL
 * stack trace from deep inside the listener.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';

export interface TlsCredentials {
  /** PEM: the server certificate, then any intermediates, as Node's TLS takes them. */
  cert: Buffer;
  key: Buffer;
  /** Problems that do not stop the start (a certificate clients will refuse, a key others can read), for the log. */
  warnings: string[];
}

/** Undefined when Foyer serves plain http (neither variable set; `loadConfig` refuses one without the other). */
export function loadTlsCredentials(config: Pick<Config, 'tlsCert' | 'tlsKey' | 'publicUrl'>, now = Date.now()): TlsCredentials | undefined {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const cert = readPem('FOYER_TLS_CERT', config.tlsCert);
  const key = readPem('FOYER_TLS_KEY', config.tlsKey);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(`FOYER_TLS_CERT=${config.tlsCert}: not a PEM certificate (${(err as Error).message})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(`FOYER_TLS_KEY=${config.tlsKey}: not a PEM private key, or one protected by a passphrase (${(err as Error).message})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(`FOYER_TLS_KEY=${config.tlsKey} is not the key of the certificate in FOYER_TLS_CERT=${config.tlsCert}`);
  }
  const warnings: string[] = [];
  // Like the database file and the master key file: a private key others on this machine can read is one
  // anyone of them can serve this site with. A warning, not a refusal: a key mounted by a container
  // platform often comes group-readable, and the operator may know why.
  const keyMode = statSync(config.tlsKey).mode & 0o777;
  if (keyMode & 0o077) {
    warnings.push(
      `FOYER_TLS_KEY=${config.tlsKey} is readable by other users of this machine (mode ${keyMode.toString(8).padStart(4, '0')}): make it private with: chmod 600 ${config.tlsKey}`,
    );
  }
  const host = new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, '');
  const matches = /^[0-9.]+$|:/.test(host) ? certificate.checkIP(host) : certificate.checkHost(host);
  if (!matches) {
    warnings.push(
      `the certificate in FOYER_TLS_CERT is not for ${host}, the host of the public URL: clients will refuse it (it names ${certificate.subjectAltName ?? certificate.subject})`,
    );
  }
  if (Date.parse(certificate.validTo) < now) {
    warnings.push(`the certificate in FOYER_TLS_CERT expired on ${new Date(certificate.validTo).toISOString()}: clients will refuse it`);
  }
  return { cert, key, warnings };
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(`${variable}=${path}: cannot read it (${reason})`);
  }
}
