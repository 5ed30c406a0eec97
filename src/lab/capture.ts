// tcpdump on a namespace's interface, writing a pcap the wire-format fixtures are cut from.

import { existsSync, statSync } from 'node:fs';
import { requireBinary } from './exec.js';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { sleep, waitFor } from './wait.js';

export interface Capture {
  file: string;
  /** Stops tcpdump (SIGTERM flushes the file) and returns the pcap path. */
  stop(): Promise<string>;
}

export async function startCapture(lab: Lab, ns: Netns, ifname: string, filter = 'tcp port 179'): Promise<Capture> {
  const tcpdump = requireBinary('tcpdump');
  const file = lab.path(`${ns.label}-${ifname}-${Date.now()}.pcap`);
  const daemon = ns.spawn(`tcpdump-${ifname}`, [tcpdump, '-i', ifname, '-U', '-s', '0', '-w', file, filter]);
  await waitFor(`tcpdump on ${ns.label}/${ifname}`, () => {
    daemon.assertRunning();
    return existsSync(file) && statSync(file).size >= 24;
  });
  return {
    file,
    stop: async () => {
      await sleep(100);
      await daemon.stop();
      return file;
    },
  };
}
