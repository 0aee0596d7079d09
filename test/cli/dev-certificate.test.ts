/**
 * `foyer dev certificate`: a local certificate authority, kept and reused, and a certificate for
 * localhost, 127.0.0.1 and ::1 signed by it, checked the way a TLS client checks it (node:crypto's
 * X509Certificate: names, usage, issuer, signature, validity), with private keys readable by their owner only.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { io } from '../support/cli-io.js';

const DAY_MS = 24 * 3600 * 1000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const NAME_CONSTRAINTS = '2.5.29.30';
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate for `names` signed with the CA's key, as anyone holding that key could make one. */
async function signWithCaKey(dir: string, names: string[]): Promise<{ cert: string; key: string }> {
  const ca = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
  const caKeyDer = createPrivateKey(readFileSync(join(dir, 'ca-key.pem'))).export({ type: 'pkcs8', format: 'der' });
  const caKey = await webcrypto.subtle.importKey('pkcs8', caKeyDer, ECDSA, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: [{ CN: [names[0]!] }],
    issuer: ca.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: 'dns', value: n }))),
    ],
  });
  return { cert: cert.toString('pem'), key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A TLS handshake with a server presenting `server`, by a client that trusts only the CA: 'ok', or OpenSSL's verification error. */
async function handshake(caPem: string, server: { cert: string; key: string }, servername: string): Promise<string> {
  const listener = createServer(server, (socket) => socket.end());
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
  const port = (listener.address() as { port: number }).port;
  try {
    return await new Promise<string>((done) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: caPem }, () => {
        socket.end();
        done('ok');
      });
      // Node names OpenSSL's X509_V_ERR_PERMITTED_VIOLATION only by its message (its code is UNSPECIFIED).
      socket.on('error', (err: Error) => done(err.message));
    });
  } finally {
    listener.close();
  }
}

describe('foyer dev certificate', () => {
  const root = mkdtempSync(join(tmpdir(), 'foyer-dev-cert-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    const out = io({});
    const code = await runCli(['dev', 'certificate', ...args], out);
    return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
  };
  const read = (dir: string) => ({
    ca: new X509Certificate(readFileSync(join(dir, 'ca.pem'))),
    cert: new X509Certificate(readFileSync(join(dir, 'cert.pem'))),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
  });
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('makes a CA and a certificate for localhost, 127.0.0.1 and ::1 that verifies against it, keys readable by their owner only', async () => {
    const dir = join(root, 'first', 'tls');
    const started = Date.now();
    const { code, stdout, stderr } = await run(['--dir', dir, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.env).toEqual({ FOYER_TLS_CERT: join(dir, 'cert.pem'), FOYER_TLS_KEY: join(dir, 'key.pem'), NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    expect(result.ca.created).toBe(true);

    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'ca-key.pem'))).toBe(0o600);
    expect(mode(join(dir, 'key.pem'))).toBe(0o600);

    const { ca, cert } = read(dir);
    // The CA: named for this machine and today, valid about ten years, a CA that signs end-entity certificates.
    expect(ca.subject).toBe(`CN=Foyer development CA ${hostname()} ${new Date(started).toISOString().slice(0, 10)}`);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    const caYears = (Date.parse(ca.validTo) - started) / (365.25 * DAY_MS);
    expect(caYears).toBeGreaterThan(9.9);
    expect(caYears).toBeLessThan(10.1);
    expect(ca.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'ca-key.pem'))))).toBe(true);

    // The server certificate: the three loopback names, for TLS servers, issued and signed by the CA.
    expect(cert.ca).toBe(false);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).toEqual([SERVER_AUTH]);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'key.pem'))))).toBe(true);
    // Browsers refuse server certificates valid longer than 398 days.
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBeLessThanOrEqual(397 * DAY_MS);
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(started);
  });

  it('limits the CA: path length 0, certificate signing, critical name constraints to local names and addresses; the certificate is no CA', async () => {
    const dir = join(root, 'first', 'tls');
    const ca = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    const basic = ca.getExtension(x509.BasicConstraintsExtension)!;
    expect({ ca: basic.ca, pathLength: basic.pathLength, critical: basic.critical }).toEqual({ ca: true, pathLength: 0, critical: true });
    const usages = ca.getExtension(x509.KeyUsagesExtension)!;
    expect(usages.critical).toBe(true);
    expect(usages.usages & x509.KeyUsageFlags.keyCertSign).toBe(x509.KeyUsageFlags.keyCertSign);
    const extension = ca.getExtension(NAME_CONSTRAINTS)!;
    expect(extension.critical).toBe(true);
    const constraints = AsnConvert.parse(extension.value, NameConstraints);
    expect(constraints.excludedSubtrees).toBeUndefined();
    expect(constraints.permittedSubtrees!.map((t) => t.base.dNSName ?? t.base.iPAddress)).toEqual([
      'localhost',
      '.localhost',
      '.test',
      '.internal',
      '.home.arpa',
      '127.0.0.0/8',
      '::1/128',
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
    ]);
    // OpenSSL reads the same (what browsers and curl on Linux verify with).
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'ca.pem')], { encoding: 'utf8' });
    expect(text).toMatch(
      /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+DNS:\.localhost\s+DNS:\.test\s+DNS:\.internal\s+DNS:\.home\.arpa\s+IP:127\.0\.0\.0\/255\.0\.0\.0/,
    );
    expect(text).toContain('IP:172.16.0.0/255.240.0.0');

    const leaf = new x509.X509Certificate(readFileSync(join(dir, 'cert.pem'), 'utf8')).getExtension(x509.BasicConstraintsExtension)!;
    expect({ ca: leaf.ca, critical: leaf.critical }).toEqual({ ca: false, critical: true });
  });

  it('makes a certificate a TLS client accepts, while one for a real site signed with the same CA key is refused', async () => {
    const dir = join(root, 'first', 'tls');
    const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const made = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    expect(await handshake(caPem, made, 'localhost')).toBe('ok');
    // The CA key, if it leaked, cannot vouch for a real site: the name constraints stop the chain.
    expect(await handshake(caPem, await signWithCaKey(dir, ['bank.example.com']), 'bank.example.com')).toBe('permitted subtree violation');
    expect(await handshake(caPem, await signWithCaKey(dir, ['app.foyer.test']), 'app.foyer.test')).toBe('ok');
  });

  it('prints the two settings and how to trust the CA on each system, in Firefox and for Node.js scripts', async () => {
    const dir = join(root, 'human');
    const { code, stdout } = await run(['--dir', dir]);
    expect(code).toBe(0);
    const ca = join(dir, 'ca.pem');
    expect(stdout).toContain(`export FOYER_TLS_CERT=${join(dir, 'cert.pem')}`);
    expect(stdout).toContain(`export FOYER_TLS_KEY=${join(dir, 'key.pem')}`);
    expect(stdout).toContain(`update-ca-certificates`);
    expect(stdout).toContain(`security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`);
    expect(stdout).toContain(`certutil -user -addstore Root ${ca}`);
    expect(stdout).toContain('Firefox');
    expect(stdout).toContain(`NODE_EXTRA_CA_CERTS=${ca}`);
  });

  it('keeps the CA: a second run refuses to replace the certificate without --force, and with it signs a new one under the same CA', async () => {
    const dir = join(root, 'again');
    expect((await run(['--dir', dir])).code).toBe(0);
    const before = read(dir);

    const refused = await run(['--dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(read(dir).certPem).toBe(before.certPem);

    const forced = await run(['--dir', dir, '--force', '--host', 'foyer.test,10.1.2.3', '--json']);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).ca.created).toBe(false);
    const after = read(dir);
    expect(after.caPem).toBe(before.caPem);
    expect(after.cert.serialNumber).not.toBe(before.cert.serialNumber);
    expect(after.cert.verify(before.ca.publicKey)).toBe(true);
    expect(after.cert.checkHost('foyer.test')).toBe('foyer.test');
    expect(after.cert.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(after.cert.checkHost('localhost')).toBe('localhost');
    expect(mode(join(dir, 'key.pem'))).toBe(0o600);
  });

  it('refuses a --host that is no host name or address, before writing anything (exit 2)', async () => {
    const dir = join(root, 'bad-host');
    const { code, stderr } = await run(['--dir', dir, '--host', 'not a host/']);
    expect(code).toBe(2);
    expect(stderr).toContain('--host');
    expect(existsSync(dir)).toBe(false);
  });

  it.each(['example.com', 'localhost.example.com', '8.8.8.8', '172.32.0.1', 'fe80::1', '*.example.org'])(
    'refuses --host %s, outside the names the CA may sign for, before writing anything (exit 2)',
    async (host) => {
      const dir = join(root, `outside-${host.replace(/[^a-z0-9]/gi, '_')}`);
      const { code, stderr } = await run(['--dir', dir, '--host', host]);
      expect(code).toBe(2);
      expect(stderr).toContain(`${host} is not a name the development CA may sign for`);
      expect(stderr).toContain('localhost, *.localhost, *.test, *.internal and *.home.arpa');
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('accepts --host names and addresses inside the constraints', async () => {
    const dir = join(root, 'inside');
    const hosts = 'app.localhost,foyer.test,*.foyer.test,id.corp.internal,nas.home.arpa,127.0.0.2,10.9.8.7,172.31.255.1,192.168.1.10';
    const { code, stderr } = await run(['--dir', dir, '--host', hosts]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(read(dir).cert.checkHost('nas.home.arpa')).toBe('nas.home.arpa');
  });

  it('reusing a CA made before the name constraints says so and how to replace it', async () => {
    const dir = join(root, 'old-ca');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const old = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '02',
      name: [{ CN: ['Foyer development CA old'] }],
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 365 * DAY_MS),
      keys,
      signingAlgorithm: ECDSA,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
    });
    writeFileSync(join(dir, 'ca.pem'), old.toString('pem'));
    writeFileSync(join(dir, 'ca-key.pem'), KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const { code, stdout, stderr } = await run(['--dir', dir, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).ca).toMatchObject({ created: false, nameConstrained: false });
    expect(stderr).toContain(`the certificate authority in ${join(dir, 'ca.pem')} was made before Foyer limited its development CA to local names`);
    expect(stderr).toContain(`rm ${join(dir, 'ca.pem')} ${join(dir, 'ca-key.pem')} && foyer dev certificate --force --dir ${dir}`);

    // Doing as it says gives a constrained CA, and no warning.
    rmSync(join(dir, 'ca.pem'));
    rmSync(join(dir, 'ca-key.pem'));
    const again = await run(['--dir', dir, '--force', '--json']);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout).ca).toMatchObject({ created: true, nameConstrained: true });
  });

  it('a --force run that fails leaves the key and certificate that were there, and no temporary file', async () => {
    const dir = join(root, 'failed-force');
    expect((await run(['--dir', dir])).code).toBe(0);
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    // The certificate's place taken by a folder: the new certificate cannot go there.
    unlinkSync(join(dir, 'cert.pem'));
    mkdirSync(join(dir, 'cert.pem'));
    const { code, stderr } = await run(['--dir', dir, '--force']);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'cert.pem')} is not a file`);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(key);
    expect(readdirSync(dir).sort()).toEqual(['ca-key.pem', 'ca.pem', 'cert.pem', 'key.pem']);
  });

  it('refuses a CA key without its certificate, naming both files, and writes nothing', async () => {
    const dir = join(root, 'half');
    expect((await run(['--dir', dir])).code).toBe(0);
    unlinkSync(join(dir, 'ca.pem'));
    unlinkSync(join(dir, 'cert.pem'));
    unlinkSync(join(dir, 'key.pem'));
    const { code, stderr } = await run(['--dir', dir]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, 'ca-key.pem')} exists without ${join(dir, 'ca.pem')}`);
    expect(existsSync(join(dir, 'cert.pem'))).toBe(false);
  });

  it('is listed by foyer --help', async () => {
    const out = io({});
    expect(await runCli(['--help'], out)).toBe(0);
    expect(out.stdout.join('\n')).toMatch(/^\s+dev\b/m);
    const dev = io({});
    expect(await runCli(['dev', '--help'], dev)).toBe(0);
    expect(dev.stdout.join('\n')).toMatch(/^\s+certificate\b/m);
  });
});
