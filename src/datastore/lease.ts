// Keys that live only as long as their writer: a value under an etcd lease (kept alive by the
// client while the process runs; etcd deletes the key once the TTL passes without a keepalive, as
// after a SIGKILL), and an election among processes (one leader at a time, the next one taking
// over when the leader's lease expires). Each has its own client so that the request client's
// re-creation after an outage never cuts a lease's keepalive stream.
import type { Campaign, Etcd3, Lease } from 'etcd3';
import { createEtcdClient, type EtcdOptions } from './connect.js';
import { ELECTION_NAMESPACE } from './keys.js';

/** One key whose value is re-written by its owner and disappears when the owner stops. */
export class LeasedKey {
  private readonly client: Etcd3;
  private lease?: Lease;

  constructor(
    options: EtcdOptions,
    readonly key: string,
    readonly ttlS: number,
  ) {
    this.client = createEtcdClient(options);
  }

  /** Writes `value` under the lease, granting a new lease when there is none or it was lost. */
  async put(value: unknown): Promise<void> {
    if (!this.lease || this.lease.revoked()) {
      const lease = this.client.lease(this.ttlS);
      // a lost lease (etcd away longer than the TTL) is replaced on the next write
      lease.on('lost', () => {
        if (this.lease === lease) this.lease = undefined;
      });
      this.lease = lease;
      try {
        await lease.grant();
      } catch (err) {
        this.lease = undefined;
        throw err;
      }
    }
    try {
      await this.lease.put(this.key).value(JSON.stringify(value));
    } catch (err) {
      this.lease = undefined;
      throw err;
    }
  }

  /** Deletes the key at once (revokes the lease) and closes the client. */
  async close(): Promise<void> {
    await this.lease?.revoke().catch(() => undefined);
    this.client.close();
  }

  /** Stops keeping the lease alive without revoking it: the key stays until the TTL runs out. */
  abandon(): void {
    this.lease?.release();
    this.client.close();
  }
}

/**
 * Campaigns in the election `name` for as long as it runs; `onChange(true)` when this process
 * becomes the leader, `onChange(false)` when it loses that (its lease lost, etcd away). A failed
 * campaign is retried after `retryMs`.
 */
export class Candidacy {
  private readonly client: Etcd3;
  private campaign?: Campaign;
  private leader = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    options: EtcdOptions,
    readonly name: string,
    readonly value: string,
    readonly ttlS: number,
    private readonly onChange: (leader: boolean, err?: Error) => void,
    private readonly retryMs = 2000,
  ) {
    this.client = createEtcdClient(options);
    this.run();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  private set(leader: boolean, err?: Error): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.onChange(leader, err);
  }

  private run(): void {
    if (this.stopped) return;
    const campaign = this.client.namespace(ELECTION_NAMESPACE).election(this.name, this.ttlS).campaign(this.value);
    this.campaign = campaign;
    campaign.on('elected', () => {
      if (this.campaign === campaign) this.set(true);
    });
    campaign.on('error', (err: Error) => {
      if (this.campaign !== campaign) return;
      this.campaign = undefined;
      this.set(false, err);
      void campaign.resign().catch(() => undefined);
      if (!this.stopped) this.retry = setTimeout(() => this.run(), this.retryMs);
    });
  }

  /** Resigns (the next candidate takes over at once) and closes the client. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.campaign?.resign().catch(() => undefined);
    this.client.close();
  }
}
