// A throwaway self-signed certificate for 127.0.0.1, made by openssl in a temp folder. The
// Cartesia plugin's one-shot synthesize() always speaks HTTPS (node:https), so its double needs
// TLS; a client trusts the certificate through NODE_EXTRA_CA_CERTS=<certPath> or an agent's `ca`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../scripts/amd-corpus.js';

export interface LoopbackCertificate {
  key: string;
  cert: string;
  certPath: string;
  remove(): Promise<void>;
}

export async function makeLoopbackCertificate(): Promise<LoopbackCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'provider-double-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyPath, '-out', certPath,
  ]);
  return {
    key: await readFile(keyPath, 'utf8'),
    cert: await readFile(certPath, 'utf8'),
    certPath,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
