// A real etcd (Debian's etcd-server) for one test or lab: free loopback ports, a temp data dir on
// the lab's folder, health polled on /health, stopped by PID.
//
// It also listens on a unix socket. Sockets live in the file system, not in a network namespace, so
// agents running inside lab namespaces reach etcd through it with no route to the host at all —
// which keeps every lab packet inside namespaces the lab made.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
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

/** GET /health on a plain-HTTP client port: true once the member has a leader. */
export function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 500 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Starts etcd under `lab` (stopped when the lab is destroyed); resolves once it answers /health. */
export async function startEtcd(lab: Lab, name = 'etcd'): Promise<Etcd> {
  const binary = requireBinary('etcd');
  const [clientPort, peerPort, socketPort] = [await freePort(), await freePort(), await freePort()];
  const dir = lab.path(name);
  mkdirSync(dir, { recursive: true });
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  // etcd names a unix listener's socket file "HOST:PORT" in its working directory.
  const argv = [
    binary,
    '--name',
    name,
    '--data-dir',
    `${dir}/data`,
    '--listen-client-urls',
    `${client},unix://localhost:${socketPort}`,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `${name}=${peer}`,
    '--heartbeat-interval',
    '20',
    '--election-timeout',
    '200',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
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
