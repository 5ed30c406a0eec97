// The Docker plugin endpoint: HTTP POSTs of JSON on a unix socket (Docker Plugin API), dispatched to
// the NetworkDriver and IpamDriver. An error is {"Err": "..."}, which Docker shows to the user; a
// method we do not implement answers 404, which libnetwork treats as "optional, not supported".
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { type DockerBackend, describeAgentError } from './backend.js';
import { IpamDriver } from './ipam-driver.js';
import { type DriverScope, NetworkDriver } from './network-driver.js';
import { IMPLEMENTS, PLUGIN_CONTENT_TYPE } from './protocol.js';
import { DriverState } from './state.js';

export interface DockerPluginOptions {
  /** Unix socket to listen on. */
  socketPath: string;
  backend: DockerBackend;
  /** The name Docker knows the plugin by (its spec file's name); default "tsroute". */
  pluginName?: string;
  /**
   * NetworkDriver data scope; default "local". Docker 20.10 sends a network of a "global" driver to
   * swarm ("This node is not a swarm manager"), so standalone daemons need "local"; connectivity
   * is told as global either way.
   */
  scope?: DriverScope;
  /** JSON file keeping address handles across restarts; none: memory only. */
  stateFile?: string;
  mtu?: number;
  /** Called for every request, with its outcome (for logs and tests). */
  onCall?: (call: { method: string; request: unknown; status: number; response: unknown; ms: number }) => void;
}

export interface DockerPlugin {
  socketPath: string;
  close(): Promise<void>;
}

type Handler = (req: never) => unknown;

function routes(network: NetworkDriver, ipam: IpamDriver): Record<string, Handler> {
  const ok = () => ({});
  return {
    'Plugin.Activate': () => ({ Implements: [...IMPLEMENTS] }),
    'NetworkDriver.GetCapabilities': () => network.getCapabilities(),
    'NetworkDriver.CreateNetwork': (r) => network.createNetwork(r),
    'NetworkDriver.DeleteNetwork': () => network.deleteNetwork(),
    'NetworkDriver.CreateEndpoint': (r) => network.createEndpoint(r),
    'NetworkDriver.EndpointOperInfo': (r) => network.endpointOperInfo(r),
    'NetworkDriver.Join': (r) => network.join(r),
    'NetworkDriver.Leave': (r) => network.leave(r),
    'NetworkDriver.DeleteEndpoint': (r) => network.deleteEndpoint(r),
    // Discovery and external connectivity: nothing to do, addresses are routed, not NATed or published.
    'NetworkDriver.DiscoverNew': ok,
    'NetworkDriver.DiscoverDelete': ok,
    'NetworkDriver.ProgramExternalConnectivity': ok,
    'NetworkDriver.RevokeExternalConnectivity': ok,
    'IpamDriver.GetCapabilities': () => ipam.getCapabilities(),
    'IpamDriver.GetDefaultAddressSpaces': () => ipam.getDefaultAddressSpaces(),
    'IpamDriver.RequestPool': (r) => ipam.requestPool(r),
    'IpamDriver.ReleasePool': () => ipam.releasePool(),
    'IpamDriver.RequestAddress': (r) => ipam.requestAddress(r),
    'IpamDriver.ReleaseAddress': (r) => ipam.releaseAddress(r),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Starts the plugin on its socket; resolves once Docker can connect. */
export async function serveDockerPlugin(opts: DockerPluginOptions): Promise<DockerPlugin> {
  const state = new DriverState(opts.stateFile);
  const pluginName = opts.pluginName ?? 'tsroute';
  const network = new NetworkDriver(opts.backend, state, pluginName, opts.scope ?? 'local', opts.mtu);
  const ipam = new IpamDriver(opts.backend, state);
  const table = routes(network, ipam);

  const server: Server = createServer(async (req, res) => {
    const started = Date.now();
    const method = (req.url ?? '').replace(/^\//, '');
    let request: unknown = {};
    let status = 200;
    let response: unknown;
    try {
      const body = await readBody(req);
      request = body.trim() ? JSON.parse(body) : {};
      const handler = table[method];
      if (!handler) {
        status = 404;
        response = { Err: `${pluginName} does not implement ${method}` };
      } else {
        response = await handler(request as never);
      }
    } catch (err) {
      status = 500;
      response = { Err: describeAgentError(err) };
    }
    opts.onCall?.({ method, request, status, response, ms: Date.now() - started });
    res.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE });
    res.end(JSON.stringify(response));
  });

  mkdirSync(dirname(opts.socketPath), { recursive: true });
  if (existsSync(opts.socketPath)) {
    if (await socketInUse(opts.socketPath)) throw new Error(`something already listens on ${opts.socketPath}`);
    unlinkSync(opts.socketPath); // left by a plugin that died
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => resolve());
  });
  return {
    socketPath: opts.socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if (existsSync(opts.socketPath)) unlinkSync(opts.socketPath);
      }),
  };
}
