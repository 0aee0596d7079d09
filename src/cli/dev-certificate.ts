/**
 * `foyer dev certificate`: a local certificate authority and a certificate for localhost (local-ca.ts),
 * so a development Foyer serves https (FOYER_TLS_CERT, FOYER_TLS_KEY). The Graph SDKs behave differently
 * on plain http: the classic client attaches tokens and follows `@odata.nextLink` only for `https://` URLs.
 * The command prints the two settings and how to trust the CA in each place that keeps its own list.
 */
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { type CliHelpers, shapedList } from '../platform/cli/helpers.js';
import { type DevelopmentCertificates, hostProblem, localCaPaths, makeDevelopmentCertificates } from './local-ca.js';

const DEFAULT_DIR = '.foyer/tls';

export function registerDevCommands(program: Command, { io, print }: CliHelpers): void {
  const dev = program.command('dev').description('development helpers (nothing here is needed in production)');

  dev
    .command('certificate')
    .description(
      'make a local certificate authority (kept and reused) and a certificate for localhost, 127.0.0.1 and ::1 signed by it, for FOYER_TLS_CERT and FOYER_TLS_KEY; prints how to trust the authority',
    )
    .option('--dir <folder>', `folder of the CA and the certificate (default ${DEFAULT_DIR})`)
    .option(
      '--host <name...>',
      'further host names (or addresses) the certificate is for, repeatable or comma-separated: localhost, *.localhost, *.test, *.internal, *.home.arpa, or a loopback or private address (the CA may sign for nothing else)',
      shapedList(hostProblem),
    )
    .option('--force', 'replace the certificate and key already in the folder (the CA is kept)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { dir?: string; host?: string[]; force?: boolean; json?: boolean }) => {
      const made = await makeDevelopmentCertificates({ dir: opts.dir ?? DEFAULT_DIR, hosts: opts.host ?? [], force: !!opts.force });
      const { paths } = made;
      if (!made.ca.nameConstrained) io.err(unconstrainedCaWarning(made));
      print(
        !!opts.json,
        {
          ca: {
            file: paths.caCert,
            keyFile: paths.caKey,
            subject: made.ca.subject,
            notAfter: made.ca.notAfter.toISOString(),
            created: made.ca.created,
            nameConstrained: made.ca.nameConstrained,
          },
          certificate: { file: paths.cert, keyFile: paths.key, names: made.certificate.names, notAfter: made.certificate.notAfter.toISOString() },
          env: { FOYER_TLS_CERT: paths.cert, FOYER_TLS_KEY: paths.key, NODE_EXTRA_CA_CERTS: paths.caCert },
        },
        humanReport(made, io.env),
      );
    });
}

/** A CA made before the development CA was name-constrained: it still works, but its key could vouch for any site. */
function unconstrainedCaWarning(made: DevelopmentCertificates): string {
  const { paths } = made;
  return [
    `warning: the certificate authority in ${paths.caCert} was made before Foyer limited its development CA to local names: its key can sign a certificate any machine that trusts it accepts for any site.`,
    'Replace it: remove it from the places you trusted it, then',
    `  rm ${quote(paths.caCert)} ${quote(paths.caKey)} && foyer dev certificate --force${paths.caCert === localCaPaths(DEFAULT_DIR).caCert ? '' : ` --dir ${quote(dirname(paths.caCert))}`}`,
    'and trust the new one where you trusted the old (the command prints how).',
  ].join('\n');
}

function humanReport(made: DevelopmentCertificates, env: NodeJS.ProcessEnv): string {
  const { paths } = made;
  const ca = quote(paths.caCert);
  const port = env.FOYER_PORT || '8080';
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return [
    made.ca.created
      ? `Made a certificate authority, "${made.ca.subject.replace(/^CN=/, '')}", valid until ${day(made.ca.notAfter)}: ${paths.caCert}`
      : `Reused the certificate authority in ${paths.caCert} ("${made.ca.subject.replace(/^CN=/, '')}", valid until ${day(made.ca.notAfter)})`,
    made.ca.nameConstrained
      ? `  It may sign for local names and addresses only (localhost, *.localhost, *.test, *.internal, *.home.arpa, loopback and private addresses). Its key, ${paths.caKey}, is readable by you only: keep it so.`
      : `  Its key, ${paths.caKey}, is readable by you only: with it anyone can make certificates this machine trusts, for any site. Never share it.`,
    `${made.certificate.replaced ? 'Replaced' : 'Made'} a certificate for ${made.certificate.names.join(', ')}, valid until ${day(made.certificate.notAfter)}: ${paths.cert} (key ${paths.key})`,
    '',
    'Start Foyer with https (FOYER_PUBLIC_URL then defaults to https://localhost:PORT; if you set it, make it https):',
    `  export FOYER_TLS_CERT=${quote(paths.cert)}`,
    `  export FOYER_TLS_KEY=${quote(paths.key)}`,
    `  npm start    # https://localhost:${port}/`,
    '',
    'Trust the certificate authority, once, on the machines you develop on:',
    `  Debian, Ubuntu:  sudo cp ${ca} /usr/local/share/ca-certificates/foyer-development-ca.crt && sudo update-ca-certificates`,
    `  Fedora, RHEL:    sudo trust anchor ${ca}`,
    `  macOS:           sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`,
    `  Windows:         certutil -user -addstore Root ${ca}`,
    `  Firefox (its own list): Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import ${ca}, "Trust this CA to identify websites"`,
    `  Chrome, Chromium on Linux (their own list): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n "Foyer development CA" -i ${ca}   (certutil from libnss3-tools)`,
    `  Node.js scripts and SDKs (Node reads no system list): NODE_EXTRA_CA_CERTS=${ca} node script.js`,
    `  curl:            export CURL_CA_BUNDLE=${ca}   (or curl --cacert ${ca} https://localhost:${port}/healthz)`,
    'Run this command again with --force for a new certificate (when this one expires, or for another --host): the CA is kept, so nothing needs trusting again.',
  ].join('\n');
}

/** A path as a shell word: as is when it has nothing the shell would read, else in single quotes. */
function quote(path: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
