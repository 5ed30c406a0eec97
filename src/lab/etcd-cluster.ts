// A three-member (or any size) etcd cluster on loopback for failover tests: each member has its own
// client, peer and unix-socket ports and data dir; members can be SIGKILLed and started again; the
// leader is asked of the members themselves. With `tls`, clients must present a certificate signed by
// the CA (etcd's --client-cert-auth) and the client URLs are https.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createEtcdClient } from '../datastore/connect.js';
import { Daemon } from './daemon.js';
import { type Etcd, type EtcdTls, etcdArgv, etcdHealthy } from './etcd.js';
import { requireBinary } from './exec.js';
import { freePort } from './free-port.js';
import type { Lab } from './lab.js';
import { waitFor } from './wait.js';

export type { EtcdTls };

export interface EtcdMember {
  name: string;
  /** http(s)://127.0.0.1:PORT */
  endpoint: string;
  /** unix:///…/localhost:PORT: for agents inside lab namespaces (TLS on it too with `tls`; the
   * server certificate names "localhost", the name gRPC checks on a unix socket). */
  socketEndpoint: string;
  daemon: Daemon;
  /** SIGKILL, as a crash or a pulled power cord would: no goodbye to the other members. */
  kill(): Promise<void>;
  /** Starts it again on the same data dir and ports; resolves once it answers /health. */
  start(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  endpoints: string[];
  socketEndpoints: string[];
  tls?: EtcdTls;
  /** The member the live members say leads (asked over the client API, so TLS works too). */
  leader(): Promise<EtcdMember>;
  /** The cluster as the harness's single-etcd shape (endpoints comma-joined), for meshCluster. */
  asEtcd(): Etcd;
}

/** Starts `size` members under `lab` (stopped with it); resolves once every member answers /health. */
export async function startEtcdCluster(
  lab: Lab,
  opts: { size?: number; name?: string; tls?: EtcdTls } = {},
): Promise<EtcdCluster> {
  const binary = requireBinary('etcd');
  const size = opts.size ?? 3;
  const prefix = opts.name ?? 'etcd';
  const scheme = opts.tls ? 'https' : 'http';
  const ports: { client: number; peer: number; socket: number }[] = [];
  for (let i = 0; i < size; i++)
    ports.push({ client: await freePort(), peer: await freePort(), socket: await freePort() });
  const names = ports.map((_, i) => `${prefix}-m${i + 1}`);
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');

  const members: EtcdMember[] = names.map((name, i) => {
    const p = ports[i]!;
    const dir = lab.path(name);
    mkdirSync(dir, { recursive: true });
    const client = `${scheme}://127.0.0.1:${p.client}`;
    const socketFile = `${dir}/localhost:${p.socket}`;
    const argv = [
      ...etcdArgv({
        binary,
        name,
        dir,
        client,
        socket: `${opts.tls ? 'unixs' : 'unix'}://localhost:${p.socket}`,
        peer: `http://127.0.0.1:${p.peer}`,
        initialCluster,
        // etcd's defaults are 100 and 1000 ms; shorter here, but not so short that a loaded test
        // machine holds elections all the time
        heartbeatMs: 50,
        electionMs: 500,
      }),
      '--initial-cluster-state',
      'new',
      ...(opts.tls
        ? [
            '--cert-file',
            opts.tls.serverCert,
            '--key-file',
            opts.tls.serverKey,
            '--client-cert-auth',
            '--trusted-ca-file',
            opts.tls.ca,
          ]
        : []),
    ];
    const member: EtcdMember = {
      name,
      endpoint: client,
      socketEndpoint: `unix://${socketFile}`,
      daemon: undefined as unknown as Daemon,
      kill: async () => {
        if (!member.daemon.running) return;
        const exited = new Promise<void>((r) => member.daemon.child.once('exit', () => r()));
        process.kill(member.daemon.pid, 'SIGKILL');
        await exited;
      },
      start: async () => {
        // a SIGKILLed etcd leaves its socket file behind, and would refuse to listen on it
        if (existsSync(socketFile)) unlinkSync(socketFile);
        member.daemon = Daemon.start(name, argv, `${lab.logDir}/${name}.log`, { cwd: dir });
        lab.adopt(member.daemon);
        await waitFor(
          `${name} /health on ${client}`,
          async () => {
            member.daemon.assertRunning();
            return etcdHealthy(p.client, opts.tls);
          },
          { timeoutMs: 60_000 },
        );
      },
    };
    return member;
  });
  // all at once: the first cannot become healthy before a quorum has started
  await Promise.all(members.map((m) => m.start()));

  const clientOptions = (endpoint: string) => ({
    endpoints: [endpoint],
    ...(opts.tls ? { caFile: opts.tls.ca, certFile: opts.tls.clientCert, keyFile: opts.tls.clientKey } : {}),
    callTimeoutMs: 2000,
  });
  const stopAll = async () => {
    await Promise.all(members.map((m) => m.daemon.stop()));
  };
  return {
    asEtcd: () => ({
      endpoint: members.map((m) => m.endpoint).join(','),
      socketEndpoint: members.map((m) => m.socketEndpoint).join(','),
      daemon: members[0]!.daemon,
      stop: stopAll,
      restart: async () => {
        await stopAll();
        await Promise.all(members.map((m) => m.start()));
      },
    }),
    members,
    endpoints: members.map((m) => m.endpoint),
    socketEndpoints: members.map((m) => m.socketEndpoint),
    tls: opts.tls,
    leader: () =>
      waitFor('an etcd member to report the leader', async () => {
        for (const m of members) {
          if (!m.daemon.running) continue;
          const c = createEtcdClient(clientOptions(m.endpoint));
          try {
            const s = await c.maintenance.status();
            if (s.leader === '0') continue;
            // the member whose own ID is the leader's
            for (const other of members) {
              if (!other.daemon.running) continue;
              const o = createEtcdClient(clientOptions(other.endpoint));
              try {
                if ((await o.maintenance.status()).header.member_id === s.leader) return other;
              } finally {
                o.close();
              }
            }
          } catch {
            // this member is between leaders or going away: ask the next
          } finally {
            c.close();
          }
        }
        return undefined;
      }),
  };
}
