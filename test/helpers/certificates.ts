/** Certificates made for a test by the openssl command (Debian's openssl, installed by scripts/setup.sh). */
import { execFileSync } from 'node:child_process';

/**
 * A self-signed server certificate for CN=localhost, which is its own CA: `server.pem` and `server.key` in `dir`.
 * `subjectAltName` as openssl writes it, e.g. `DNS:localhost,IP:127.0.0.1`.
 */
export function makeSelfSignedServerCertificate(dir: string, subjectAltName: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${subjectAltName}`,
      '-keyout',
      'server.key',
      '-out',
      'server.pem',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
}
