// Per-interface sysctls of a host-side veth. /proc/sys/net shows the namespace of the thread that
// looks it up, so the writes are synchronous and, for another namespace, made from inside it.
import { writeFileSync } from 'node:fs';
import { inNetns } from './netns.js';

export interface HostSideSysctls {
  ifName: string;
  ipv6: boolean;
}

function write(path: string, value: string, optional: boolean): void {
  try {
    writeFileSync(`/proc/sys/${path}`, value);
  } catch (err) {
    if (!optional) throw new Error(`sysctl ${path.replaceAll('/', '.')}=${value}: ${(err as Error).message}`);
  }
}

/**
 * Proxy ARP lets the host answer for addresses it routes elsewhere (the container has a permanent
 * entry for its gateway, but a runtime that configured the container itself ARPs for it); without
 * proxy_delay=0 a proxied answer waits ~0.5 s. Forwarding on the link routes the container's packets.
 */
export function configureHostSide(s: HostSideSysctls, netnsPath?: string): void {
  const apply = () => {
    write(`net/ipv4/conf/${s.ifName}/proxy_arp`, '1', false);
    write(`net/ipv4/neigh/${s.ifName}/proxy_delay`, '0', false);
    write(`net/ipv4/conf/${s.ifName}/forwarding`, '1', false);
    if (s.ipv6) {
      // absent when IPv6 is disabled on the host: then there is nothing to route either
      write(`net/ipv6/conf/${s.ifName}/proxy_ndp`, '1', true);
      write(`net/ipv6/conf/${s.ifName}/forwarding`, '1', true);
    }
  };
  if (netnsPath) inNetns(netnsPath, apply);
  else apply();
}
