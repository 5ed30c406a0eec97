// A throw-away certificate authority made with openssl, for etcd TLS tests: a CA, a server certificate
// for 127.0.0.1 and localhost, and a client certificate, all signed by the CA; plus a second,
// unrelated client certificate that etcd must refuse.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcdTls } from './etcd-cluster.js';
import { requireBinary, run } from './exec.js';

export interface TestCa extends EtcdTls {
  /** A client certificate and key signed by some other CA. */
  strangerCert: string;
  strangerKey: string;
}

async function selfSigned(openssl: string, dir: string, name: string, cn: string): Promise<void> {
  await run([
    openssl,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.pem`),
  ]);
}

async function signed(openssl: string, dir: string, name: string, ca: string, cn: string, ext: string): Promise<void> {
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  await run([
    openssl,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.csr`),
  ]);
  await run([
    openssl,
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(dir, `${ca}.pem`),
    '-CAkey',
    join(dir, `${ca}.key`),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extFile,
    '-out',
    join(dir, `${name}.pem`),
  ]);
}

/** Writes the CA and certificates into `dir` (which must exist). */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const openssl = requireBinary('openssl');
  await selfSigned(openssl, dir, 'ca', 'tsroute test CA');
  await signed(
    openssl,
    dir,
    'server',
    'ca',
    'etcd',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  await signed(openssl, dir, 'client', 'ca', 'tsroute', 'extendedKeyUsage=clientAuth\n');
  await selfSigned(openssl, dir, 'other-ca', 'some other CA');
  await signed(openssl, dir, 'stranger', 'other-ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const f = (n: string) => join(dir, n);
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    strangerCert: f('stranger.pem'),
    strangerKey: f('stranger.key'),
  };
}
