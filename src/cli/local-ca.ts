/**
 * A local certificate authority for development, and a server certificate it signs, so that Foyer can serve
 * `https://localhost` (FOYER_TLS_CERT, FOYER_TLS_KEY) with a certificate browsers and Graph SDKs accept once
 * the authority is trusted on this machine. The same approach as mkcert: one CA per machine, kept and reused,
 * so it is trusted once; short-lived server certificates signed by it.
 *
 * Unlike mkcert's, the CA is name-constrained (RFC 5280 §4.2.1.10, critical): it can vouch only for local
 * names (localhost, *.localhost, *.test, *.internal, *.home.arpa) and loopback and private addresses, so its
 * key, if it ever leaks, cannot be used to impersonate a real site to the machines that trust it.
 *
 * Keys are ECDSA P-256 made with Node's WebCrypto; the certificates are built by @peculiar/x509 (which has no
 * class for the name-constraints extension: nameConstraintsDer() builds it with x509's ASN.1 schema).
 */
import { createPrivateKey, KeyObject, X509Certificate as NodeCertificate, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { UsageError } from '../platform/cli/usage-error.js';

const DAY_MS = 24 * 3600 * 1000;
/** Ten years: the CA is trusted once per machine, and a new one means trusting again everywhere. */
const CA_LIFETIME_MS = 3652 * DAY_MS;
/**
 * Browsers refuse server certificates valid longer than 398 days (Apple since 2020, and the CA/Browser
 * Forum's baseline requirements for public CAs); a local CA gets no exemption in Safari. 397 stays inside.
 */
const SERVER_LIFETIME_MS = 397 * DAY_MS;
/** Accepted by a client whose clock is a little behind this machine's. */
const BACKDATE_MS = 60 * 1000;
/** Always in the certificate: Foyer is reached as 127.0.0.1 or [::1] as often as localhost. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
/**
 * What the CA may sign for. DNS names: `localhost` itself and names under it (RFC 6761), and the suffixes
 * reserved for testing and private networks (`.test`, RFC 2606; `.internal`, ICANN 2024; `.home.arpa`,
 * RFC 8375); a leading dot means "names under it". Addresses: loopback and the RFC 1918 private ranges.
 */
const PERMITTED_DNS = ['localhost', '.localhost', '.test', '.internal', '.home.arpa'] as const;
const PERMITTED_IP = [
  ['127.0.0.0', 8],
  ['::1', 128],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const;
const NAME_CONSTRAINTS_OID = '2.5.29.30';
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface LocalCaPaths {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface DevelopmentCertificates {
  paths: LocalCaPaths;
  /** `nameConstrained`: false for a CA made before the development CA was limited to local names. */
  ca: { subject: string; notAfter: Date; created: boolean; nameConstrained: boolean };
  certificate: { names: string[]; notAfter: Date; replaced: boolean };
}

export interface CertificateRequest {
  /** Folder of the four files (created, readable by its owner only, when missing). */
  dir: string;
  /** Further host names (or addresses) the server certificate is for; localhost, 127.0.0.1 and ::1 are always in it. */
  hosts: string[];
  /** Replace an existing server certificate and key (the CA is kept either way). */
  force: boolean;
  now?: number;
}

/** The files in `dir`, as absolute paths (they are printed for environment variables set elsewhere). */
export function localCaPaths(dir: string): LocalCaPaths {
  const base = resolve(dir);
  return { caCert: join(base, 'ca.pem'), caKey: join(base, 'ca-key.pem'), cert: join(base, 'cert.pem'), key: join(base, 'key.pem') };
}

/** A DNS name (a leading `*.` allowed) or an IP address, as a certificate's subject alternative name takes it, inside the CA's name constraints. */
export function hostProblem(value: string): string | undefined {
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  const wellFormed = isIP(value) || (value.length <= 253 && new RegExp(`^(?:\\*\\.)?${label}(?:\\.${label})*$`, 'i').test(value));
  if (!wellFormed) return 'a host name (e.g. localhost, foyer.test) or an IP address';
  if (isPermittedName(value)) return undefined;
  return (
    `${value} is not a name the development CA may sign for: it is limited to localhost, *.localhost, *.test, *.internal and *.home.arpa, ` +
    'and to the addresses 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16, so that its key can never vouch for a real site ' +
    '(for a public name, use a certificate from a public CA in FOYER_TLS_CERT)'
  );
}

/** Inside the CA's name constraints (PERMITTED_DNS, PERMITTED_IP)? */
function isPermittedName(value: string): boolean {
  const version = isIP(value);
  if (version) {
    const permitted = new BlockList();
    for (const [address, prefix] of PERMITTED_IP) permitted.addSubnet(address, prefix, isIPv4(address) ? 'ipv4' : 'ipv6');
    return permitted.check(value, version === 4 ? 'ipv4' : 'ipv6');
  }
  const lower = value.toLowerCase();
  return PERMITTED_DNS.some((name) => (name.startsWith('.') ? lower.endsWith(name) : lower === name));
}

/**
 * Makes the CA when `dir` has none (else reuses it), then a server certificate for `hosts` signed by it.
 * Refuses, before writing anything, to replace a server certificate without `force`, and to use a CA that
 * is half there, broken or expired.
 */
export async function makeDevelopmentCertificates(request: CertificateRequest): Promise<DevelopmentCertificates> {
  const now = request.now ?? Date.now();
  const paths = localCaPaths(request.dir);
  const existing = [paths.cert, paths.key].filter((p) => existsSync(p));
  if (existing.length && !request.force) {
    throw new UsageError(
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}: --force replaces the certificate and its key (the CA is kept)`,
    );
  }
  const notAFile = existing.filter((p) => !lstatSync(p).isFile());
  if (notAFile.length) throw new Error(`${notAFile.join(' and ')} ${notAFile.length === 1 ? 'is' : 'are'} not a file: move it away and run again`);
  const outside = request.hosts.map(hostProblem).filter((problem) => problem !== undefined);
  if (outside.length) throw new UsageError(`--host: ${outside.join('; ')}`);
  const x509 = await x509Library();
  const ca = existsSync(paths.caCert) || existsSync(paths.caKey) ? await readCa(x509, paths, now) : undefined;
  mkdirSync(resolve(request.dir), { recursive: true, mode: 0o700 });
  const authority = ca ?? (await createCa(x509, paths, now));

  const names = [...new Set([...request.hosts.map((h) => h.toLowerCase()), ...LOOPBACK_NAMES])];
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(Math.min(notBefore.getTime() + SERVER_LIFETIME_MS, authority.certificate.notAfter.getTime()));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [names[0]!] }],
    issuer: authority.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: authority.key,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' : 'dns', value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(authority.certificate.publicKey),
    ],
  });
  replacePair(paths, privateKeyPem(keys.privateKey), certificate.toString('pem'));
  return {
    paths,
    ca: {
      subject: authority.certificate.subject,
      notAfter: authority.certificate.notAfter,
      created: !ca,
      nameConstrained: authority.certificate.getExtension(NAME_CONSTRAINTS_OID)?.critical === true,
    },
    certificate: { names, notAfter, replaced: existing.length > 0 },
  };
}

interface Authority {
  certificate: X509.X509Certificate;
  key: webcrypto.CryptoKey;
}

/** A new CA: ten years, may sign end-entity certificates only (path length 0). Its key is written first, 0600. */
async function createCa(x509: typeof X509, paths: LocalCaPaths, now: number): Promise<Authority> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(now - BACKDATE_MS);
  // Names the machine and the day, so that a trust store holding several (a colleague's, last year's) tells them apart.
  const name = `Foyer development CA ${hostname()} ${new Date(now).toISOString().slice(0, 10)}`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [name] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension(NAME_CONSTRAINTS_OID, true, await nameConstraintsDer()),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writePrivate(paths.caKey, privateKeyPem(keys.privateKey), 'wx');
  writeFileSync(paths.caCert, certificate.toString('pem'), { mode: 0o644, flag: 'wx' });
  return { certificate, key: keys.privateKey };
}

/** The CA already in the folder: both files, a CA certificate, its key, not expired. */
async function readCa(x509: typeof X509, paths: LocalCaPaths, now: number): Promise<Authority> {
  const startOver = `delete ${paths.caCert} and ${paths.caKey} to make a new CA (and remove the old one from the places you trusted it)`;
  for (const [file, other] of [
    [paths.caCert, paths.caKey],
    [paths.caKey, paths.caCert],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${other} exists without ${file}: restore it, or ${startOver}`);
  }
  const certPem = readFileSync(paths.caCert, 'utf8');
  const keyPem = readFileSync(paths.caKey, 'utf8');
  let checked: NodeCertificate;
  let keyDer: Buffer;
  try {
    checked = new NodeCertificate(certPem);
    const privateKey = createPrivateKey(keyPem);
    if (!checked.ca || !checked.checkPrivateKey(privateKey)) throw new Error('not a CA certificate and its key');
    keyDer = privateKey.export({ type: 'pkcs8', format: 'der' });
  } catch (err) {
    throw new Error(`${paths.caCert} and ${paths.caKey} are not a usable CA (${(err as Error).message}): ${startOver}`);
  }
  if (Date.parse(checked.validTo) <= now) throw new Error(`the CA in ${paths.caCert} expired on ${new Date(checked.validTo).toISOString()}: ${startOver}`);
  const key = await webcrypto.subtle.importKey('pkcs8', keyDer, ECDSA_P256, false, ['sign']).catch(() => {
    throw new Error(`${paths.caKey} is not an ECDSA P-256 key, as this command makes: ${startOver}`);
  });
  return { certificate: new x509.X509Certificate(certPem), key };
}

/**
 * The server key and certificate, both written in full to temporary files beside them and only then renamed
 * into place: a write that fails (a full disk) leaves the pair that was there, never a new key with an old
 * certificate. The key's file is its owner's only from the start.
 */
function replacePair(paths: LocalCaPaths, keyPem: string, certPem: string): void {
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  const staged = [
    { path: paths.key, temp: `${paths.key}${suffix}`, text: keyPem, mode: 0o600 },
    { path: paths.cert, temp: `${paths.cert}${suffix}`, text: certPem, mode: 0o644 },
  ];
  try {
    for (const file of staged) {
      writeFileSync(file.temp, file.text, { mode: file.mode, flag: 'wx' });
      chmodSync(file.temp, file.mode);
    }
  } catch (err) {
    for (const file of staged) rmSync(file.temp, { force: true });
    throw err;
  }
  for (const file of staged) renameSync(file.temp, file.path);
}

/**
 * The CA's NameConstraints extension value (RFC 5280 §4.2.1.10), DER: permitted subtrees only, one per
 * name or address range above, encoded by x509's own ASN.1 schema (x509 has no class for this extension).
 */
export async function nameConstraintsDer(): Promise<Uint8Array> {
  const { AsnConvert } = await import('@peculiar/asn1-schema');
  const { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } = await import('@peculiar/asn1-x509');
  const subtree = (name: ConstructorParameters<typeof GeneralName>[0]) => new GeneralSubtree({ base: new GeneralName(name) });
  const permittedSubtrees = new GeneralSubtrees([
    ...PERMITTED_DNS.map((dNSName) => subtree({ dNSName })),
    ...PERMITTED_IP.map(([address, prefix]) => subtree({ iPAddress: `${address}/${prefix}` })),
  ]);
  return new Uint8Array(AsnConvert.serialize(new NameConstraints({ permittedSubtrees })));
}

function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** A private key file, readable by its owner only (also when it replaces a file that was not). */
function writePrivate(path: string, text: string, flag: 'w' | 'wx'): void {
  writeFileSync(path, text, { mode: 0o600, flag });
  chmodSync(path, 0o600);
}

/** 128 random bits, positive and without a leading zero byte (RFC 5280 §4.1.2.2: at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/**
 * @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API: the
 * polyfill is loaded first, and only in the process that runs this command (the server never loads x509).
 */
async function x509Library(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
