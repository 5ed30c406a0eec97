// The reference the endpoint benchmarks compare against: the same wiring an endpoint gets (veth
// into the container's namespace, /32, link-local gateway with a permanent neighbour, default
// route; host side MAC, up, /32 route, proxy ARP without delay, forwarding), done by hand with
// iproute2 and sysctl — one process per step, as a shell script would.
import { type Netns, run } from '../src/lab/index.js';

export async function wireByHand(host: Netns, container: Netns, hostIf: string, addr: string): Promise<void> {
  await run([
    'ip',
    '-n',
    host.name,
    'link',
    'add',
    hostIf,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    container.name,
  ]);
  await run(['ip', '-n', container.name, '-batch', '-'], {
    input: [
      `addr add ${addr}/32 dev eth0`,
      'link set eth0 up',
      'route add 169.254.1.1 dev eth0 scope link',
      'neigh replace 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent',
      'route add default via 169.254.1.1 dev eth0',
      '',
    ].join('\n'),
  });
  await run(['ip', '-n', host.name, '-batch', '-'], {
    input: `link set ${hostIf} address ee:ee:ee:ee:ee:ee\nlink set ${hostIf} up\nroute add ${addr}/32 dev ${hostIf} scope link proto 80\n`,
  });
  await host.exec([
    'sysctl',
    '-q',
    '-w',
    `net.ipv4.conf.${hostIf}.proxy_arp=1`,
    `net.ipv4.neigh.${hostIf}.proxy_delay=0`,
    `net.ipv4.conf.${hostIf}.forwarding=1`,
  ]);
}
