import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../lab/ip-command.js';
import { IoError } from '../shared/errors.js';
import { isDnsName } from './zone.js';

/**
 * The lab CA, made at `lab up` with the openssl command line (argument arrays, never a shell): a CA key and
 * certificate, and one server certificate for the world's web servers with every zone name and address as
 * subject alternative names. Pods trust the CA through CURL_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS.
 */

export interface LabCa {
  /** The CA certificate pods trust. */
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export function caFiles(dir: string): LabCa {
  return { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key') };
}

async function openssl(args: string[]): Promise<void> {
  const r = await runProcess('openssl', args);
  if (r.code !== 0) throw new IoError(`openssl ${args[0]} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const DAYS = '30';

/** Create the CA and the server certificate in `dir` (replacing what is there). */
export async function createLabCa(dir: string, names: readonly string[], ips: readonly string[], label: string): Promise<LabCa> {
  const bad = names.find((n) => !isDnsName(n));
  if (bad !== undefined) throw new IoError(`cannot put ${JSON.stringify(bad)} in a certificate: not a DNS name`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f = caFiles(dir);
  await openssl(['req', '-x509', ...EC, '-keyout', f.caKey, '-out', f.caCert, '-days', DAYS, '-subj', `/O=podwall lab/CN=podwall lab CA ${label}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  try {
    await openssl(['req', '-new', ...EC, '-keyout', f.serverKey, '-out', csr, '-subj', '/O=podwall lab/CN=podwall simulated internet']);
    // Names were checked above (letters, digits, '-', '_', '.') and addresses are parsed IPs: nothing here can break the file's syntax.
    const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
    writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
    await openssl(['x509', '-req', '-in', csr, '-CA', f.caCert, '-CAkey', f.caKey, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', DAYS, '-sha256', '-extfile', ext, '-out', f.serverCert]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return f;
}
