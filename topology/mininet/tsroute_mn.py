"""A small layer over Mininet's Python API for tsroute fabrics: routers (FRR, BIRD) and hosts as
Mininet nodes (network namespaces), point-to-point links, one etcd, `tsroute node run` in every host,
test containers wired through the agents, and a reachability matrix. Everything started is stopped
by PID and the namespaces go with net.stop(); `mn -c` is never used (it kills by name machine-wide).
"""
import json
import os
import random
import shutil
import signal
import string
import subprocess
import tempfile
import time
import urllib.request

from mininet.log import setLogLevel
from mininet.net import Mininet

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


def cli():
    """The command that runs the tsroute CLI."""
    if os.environ.get('TSROUTE_CLI'):
        return os.environ['TSROUTE_CLI'].split()
    return ['node', os.path.join(REPO, 'dist', 'cli', 'main.js')]


def free_port():
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Fabric:
    def __init__(self):
        # Mininet names interfaces after nodes in the root namespace while it builds: a short prefix
        # unique to this run keeps two runs (or a test run beside a user's) from colliding.
        run_id = os.environ.get('TSROUTE_RUN_ID', 'tsr')
        rand = ''.join(random.choice(string.ascii_lowercase) for _ in range(2))
        self.prefix = run_id[-3:] + rand
        # namespace names may be long: they carry the whole run id, so a sweep of the run finds them
        self.ns_prefix = '%s-mn%s' % (run_id, rand)
        self.dir = tempfile.mkdtemp(prefix='%s-mininet-' % run_id)
        os.chmod(self.dir, 0o755)
        self.net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False)
        self.nodes = {}
        self.hosts = []
        self.addresses = []
        self.procs = []
        self.pidfiles = []
        self.netns = []
        self.etcd = None

    # -- topology -------------------------------------------------------------------------------
    def router(self, name):
        node = self.net.addHost(self.prefix + name, ip=None)
        self.nodes[name] = node
        return node

    def host(self, name, as_number, address, containers=2):
        # Mininet gives each node a copy of the mount namespace when the node is created: the test
        # containers' namespace files (bind mounts under /run/netns) must exist before then, or the
        # agent inside the node cannot open them.
        for i in range(1, containers + 1):
            ns = '%s-%s-c%d' % (self.ns_prefix, name, i)
            subprocess.run(['ip', 'netns', 'add', ns], check=True)
            self.netns.append(ns)
        node = self.router(name)
        self.hosts.append({'name': name, 'node': node, 'as': as_number, 'address': address,
                           'containers': containers, 'socket': os.path.join(self.dir, name + '.sock')})
        return node

    def link(self, a, a_if, a_addr, b, b_if, b_addr):
        # Interface names are made while still in the root namespace: short ones unique to this run
        # (15 characters at most); the router configurations name addresses, not interfaces.
        n = len(self.addresses)
        link = self.net.addLink(a, b, intfName1='%si%d' % (self.prefix, n), intfName2='%si%d' % (self.prefix, n + 1))
        self.addresses.append((a, link.intf1.name, a_addr))
        self.addresses.append((b, link.intf2.name, b_addr))

    # -- bring-up -------------------------------------------------------------------------------
    def start(self):
        self.net.build()
        for node in self.nodes.values():
            node.cmd('ip link set lo up; sysctl -qw net.ipv4.ip_forward=1')
        for node, intf, addr in self.addresses:
            node.cmd('ip addr flush dev %s; ip addr add %s dev %s; ip link set %s up' % (intf, addr, intf, intf))
        self.start_etcd()

    def start_etcd(self):
        port, peer, sock = free_port(), free_port(), free_port()
        data = os.path.join(self.dir, 'etcd')
        os.makedirs(data)
        self.etcd_http = 'http://127.0.0.1:%d' % port
        # A unix socket is reachable from every namespace: the agents need no route to the host.
        self.etcd_socket = 'unix://%s/localhost:%d' % (data, sock)
        self.etcd = subprocess.Popen(
            ['etcd', '--name', 'mn', '--data-dir', data + '/data',
             '--listen-client-urls', '%s,unix://localhost:%d' % (self.etcd_http, sock),
             '--advertise-client-urls', self.etcd_http,
             '--listen-peer-urls', 'http://127.0.0.1:%d' % peer,
             '--initial-advertise-peer-urls', 'http://127.0.0.1:%d' % peer,
             '--initial-cluster', 'mn=http://127.0.0.1:%d' % peer],
            cwd=data, stdout=open(os.path.join(self.dir, 'etcd.log'), 'w'), stderr=subprocess.STDOUT)
        self.wait('etcd', lambda: b'true' in urllib.request.urlopen(self.etcd_http + '/health', timeout=1).read())

    def frr(self, node, conf):
        run = os.path.join(self.dir, 'frr-' + node.name)
        os.makedirs(run)
        os.chmod(run, 0o777)
        with open(os.path.join(run, 'zebra.conf'), 'w') as f:
            f.write('hostname %s\n' % node.name)
        shutil.copy(conf, os.path.join(run, 'bgpd.conf'))
        common = '-d -u frr -g frr -z %s/zserv.api --vty_socket %s -P 0' % (run, run)
        node.cmd('/usr/lib/frr/zebra %s -f %s/zebra.conf -i %s/zebra.pid' % (common, run, run))
        self.wait('zebra on ' + node.name, lambda: os.path.exists(run + '/zserv.api'))
        node.cmd('/usr/lib/frr/bgpd %s -f %s/bgpd.conf -i %s/bgpd.pid' % (common, run, run))
        self.pidfiles += [run + '/bgpd.pid', run + '/zebra.pid']

    def bird(self, node, conf):
        base = os.path.join(self.dir, 'bird-' + node.name)
        node.cmd('bird -c %s -s %s.ctl -P %s.pid' % (conf, base, base))
        self.pidfiles.append(base + '.pid')

    def apply(self, manifests):
        subprocess.run(cli() + ['apply', '-f', manifests, '--etcd-endpoints', self.etcd_http], check=True,
                       stdout=subprocess.DEVNULL)

    def start_agents(self):
        for h in self.hosts:
            log = open(os.path.join(self.dir, 'agent-%s.log' % h['name']), 'w')
            argv = cli() + ['node', 'run', '--name', h['name'], '--etcd-endpoints', self.etcd_socket,
                            '--api-socket', h['socket'], '--bgp-address', h['address'], '--as', str(h['as'])]
            self.procs.append(h['node'].popen(argv, stdout=log, stderr=subprocess.STDOUT))
        for h in self.hosts:
            self.wait('%s sessions Established' % h['name'], lambda h=h: self.established(h), timeout=60)
        self.containers = []
        for h in self.hosts:
            for i in range(1, h['containers'] + 1):
                ns = '%s-%s-c%d' % (self.ns_prefix, h['name'], i)
                r = subprocess.run(cli() + ['endpoint', 'add', '--container-id', ns, '--netns', '/run/netns/' + ns,
                                            '-o', 'json', '--api-socket', h['socket']], capture_output=True, text=True)
                if r.returncode != 0:
                    log = open(os.path.join(self.dir, 'agent-%s.log' % h['name'])).read()[-1500:]
                    raise RuntimeError('endpoint add on %s: %s\n%s' % (h['name'], r.stderr.strip(), log))
                out = r.stdout
                address = json.loads(out)['addresses'][0].split('/')[0]
                self.containers.append(('%s-c%d' % (h['name'], i), ns, address))

    def established(self, h):
        r = subprocess.run(cli() + ['node', 'status', '-o', 'json', '--api-socket', h['socket']],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return False
        peers = json.loads(r.stdout)['peers']
        return len(peers) > 0 and all(p['state'] == 'Established' for p in peers)

    # -- checking and tearing down ----------------------------------------------------------------
    def matrix(self):
        failed = []
        names = [c[0] for c in self.containers]
        print('%-8s %-14s %s' % ('', '', ' '.join('%6s' % n for n in names)))
        for name, ns, address in self.containers:
            row = []
            for other, _, to in self.containers:
                if other == name:
                    row.append('%6s' % '-')
                    continue
                ok = any(subprocess.run(['ip', 'netns', 'exec', ns, 'ping', '-c1', '-W1', to],
                                        stdout=subprocess.DEVNULL).returncode == 0 for _ in range(8))
                row.append('%6s' % ('ok' if ok else 'FAIL'))
                if not ok:
                    failed.append('%s -> %s' % (name, other))
            print('%-8s %-14s %s' % (name, address, ' '.join(row)))
        print('PASS: all pairs reach each other' if not failed else 'FAIL: ' + ', '.join(failed))
        return not failed

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        for pidfile in self.pidfiles:
            try:
                os.kill(int(open(pidfile).read().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        for ns in self.netns:
            subprocess.run(['ip', 'netns', 'del', ns])
        if self.etcd:
            self.etcd.terminate()
            self.etcd.wait(timeout=10)
        self.net.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def wait(what, probe, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if probe():
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise RuntimeError('timed out waiting for ' + what)

    @staticmethod
    def main(build, keep=False):
        setLogLevel('warning')
        f = Fabric()
        try:
            build(f)
            ok = f.matrix()
            if keep:
                print('Fabric up (prefix %s). Press Enter to stop it.' % f.prefix)
                input()
            return 0 if ok else 1
        finally:
            f.stop()
