// The little the Docker drivers must remember between calls: which IPAM handle holds each address
// (Docker's ReleaseAddress names only the address, and release goes by handle) and each endpoint's
// addresses (Join names only the endpoint). Kept in a JSON file when given one, so a restarted
// plugin still releases by handle.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bareAddress } from '../model/index.js';

export interface EndpointState {
  networkId: string;
  /** With prefix length, as Docker gave them in CreateEndpoint. */
  addresses: string[];
  handleIds: string[];
  hostInterface?: string;
}

interface StateData {
  /** Bare address ("10.65.3.7") → IPAM handle. */
  handles: Record<string, string>;
  endpoints: Record<string, EndpointState>;
}

export class DriverState {
  private data: StateData = { handles: {}, endpoints: {} };

  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateData>;
      this.data = { handles: loaded.handles ?? {}, endpoints: loaded.endpoints ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the Docker driver state ${file}: ${(err as Error).message}`);
      }
    }
  }

  handleOf(address: string): string | undefined {
    return this.data.handles[bareAddress(address)];
  }

  setHandle(address: string, handleId: string): void {
    this.data.handles[bareAddress(address)] = handleId;
    this.save();
  }

  forgetAddress(address: string): void {
    delete this.data.handles[bareAddress(address)];
    this.save();
  }

  endpoint(id: string): EndpointState | undefined {
    return this.data.endpoints[id];
  }

  setEndpoint(id: string, ep: EndpointState): void {
    this.data.endpoints[id] = ep;
    this.save();
  }

  forgetEndpoint(id: string): void {
    delete this.data.endpoints[id];
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename: a crash mid-write leaves the old state, never half a file.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
  }
}
