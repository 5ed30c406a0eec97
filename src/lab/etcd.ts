// A real etcd (Debian's etcd-server) for one test or lab: free loopback ports, a temp data dir on
// the lab's folder, health polled on /health, stopped by PID.
//
// It also listens on a unix socket. Sockets live in the file system, not in a network namespace, so
// agents running inside lab namespaces reach etcd through it with no route to the host at all —
// which keeps every lab packet inside namespaces the lab made.
import { mkdirSync, readFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Daemon } from './daemon.js';
import { requireBinary } from './exec.js';
import { freePort } from './free-port.js';
import type { Lab } from './lab.js';
import { waitFor } from './wait.js';

export interface Etcd {
  /** http://127.0.0.1:PORT — for processes in the host's namespace (tests, the CLI). */
  endpoint: string;
  /** unix:///…/localhost:PORT — for processes in any namespace of this machine. */
  socketEndpoint: string;
  daemon: Daemon;
  /** Stops etcd (SIGTERM, then SIGKILL); the data dir stays, so `restart` brings the same data back. */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** PEM files: the CA that signs both sides, the server's certificate and key, a client's. */
export interface EtcdTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** GET /health on a client port (https with a client certificate when `tls`): true once the member has a leader. */
export function etcdHealthy(port: number, tls?: EtcdTls): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port, path: '/health', timeout: 500 };
    const onResponse = (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    };
    const req = tls
      ? httpsRequest(
          {
            ...options,
            ca: readFileSync(tls.ca),
            cert: readFileSync(tls.clientCert),
            key: readFileSync(tls.clientKey),
          },
          onResponse,
        )
      : request(options, onResponse);
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** One member's command line: loopback client, unix-socket and peer URLs, short Raft timers, zap logs on stderr. */
export function etcdArgv(o: {
  binary: string;
  name: string;
  dir: string;
  /** http(s)://127.0.0.1:PORT */
  client: string;
  /** unix(s)://localhost:PORT: etcd makes the socket file "localhost:PORT" in its working directory. */
  socket: string;
  /** http://127.0.0.1:PORT */
  peer: string;
  initialCluster: string;
  heartbeatMs: number;
  electionMs: number;
}): string[] {
  return [
    o.binary,
    '--name',
    o.name,
    '--data-dir',
    `${o.dir}/data`,
    '--listen-client-urls',
    `${o.client},${o.socket}`,
    '--advertise-client-urls',
    o.client,
    '--listen-peer-urls',
    o.peer,
    '--initial-advertise-peer-urls',
    o.peer,
    '--initial-cluster',
    o.initialCluster,
    '--heartbeat-interval',
    String(o.heartbeatMs),
    '--election-timeout',
    String(o.electionMs),
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
}

/** Starts etcd under `lab` (stopped when the lab is destroyed); resolves once it answers /health. */
export async function startEtcd(lab: Lab, name = 'etcd'): Promise<Etcd> {
  const binary = requireBinary('etcd');
  const [clientPort, peerPort, socketPort] = [await freePort(), await freePort(), await freePort()];
  const dir = lab.path(name);
  mkdirSync(dir, { recursive: true });
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const argv = etcdArgv({
    binary,
    name,
    dir,
    client,
    socket: `unix://localhost:${socketPort}`,
    peer,
    initialCluster: `${name}=${peer}`,
    heartbeatMs: 20,
    electionMs: 200,
  });
  let daemon!: Daemon;
  // cwd=dir: etcd creates the unix socket in its working directory.
  const start = async () => {
    daemon = Daemon.start(name, argv, `${lab.logDir}/${name}.log`, { cwd: dir });
    lab.adopt(daemon);
    await waitFor(`${name} /health on ${client}`, async () => {
      daemon.assertRunning();
      return etcdHealthy(clientPort);
    });
  };
  await start();
  return {
    endpoint: client,
    socketEndpoint: `unix://${dir}/localhost:${socketPort}`,
    get daemon() {
      return daemon;
    },
    stop: () => daemon.stop(),
    restart: async () => {
      await daemon.stop();
      await start();
    },
  };
}
