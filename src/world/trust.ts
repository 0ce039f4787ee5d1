import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LabContext } from '../lab/names.js';

/** The lab CA's certificate (made at `lab up`, src/world/ca.ts): `<stateDir>/world/ca.crt`. */
export function labCaCert(ctx: LabContext): string {
  return join(ctx.stateDir, 'world', 'ca.crt');
}

/**
 * The environment that makes a pod's programs trust the lab CA: curl (CURL_CA_BUNDLE), OpenSSL-based tools
 * (SSL_CERT_FILE) and Node (NODE_EXTRA_CA_CERTS). Empty when the lab has no CA.
 */
export function labTrustEnv(ctx: LabContext): Record<string, string> {
  const ca = labCaCert(ctx);
  return existsSync(ca) ? { CURL_CA_BUNDLE: ca, SSL_CERT_FILE: ca, NODE_EXTRA_CA_CERTS: ca } : {};
}
