// What a path becomes for one peer on the way out: the export rules (rib/propagation.ts) and the
// peer's export policy, run once per attribute set rather than once per prefix. Results are
// remembered per set (rib/export-cache.ts): interned and cached per session where the peer compares
// sets by identity (ADD-PATH) or the policy reads the prefix, made for one batch otherwise.
import type { AddressFamily } from './config.js';
import type { CompiledPolicy } from './policy/evaluate.js';
import type { AttrSet, PathAttributes } from './rib/attributes.js';
import type { BatchExports, ExportCache } from './rib/export-cache.js';
import type { LocRib } from './rib/loc-rib.js';
import type { PathSource } from './rib/path.js';
import type { FamilyIndex } from './rib/prefix-key.js';
import { type ExportTarget, exportAttributes, type LocalIdentity, mayExport } from './rib/propagation.js';

const FAMILY_NAMES: readonly [AddressFamily, AddressFamily] = ['ipv4', 'ipv6'];

/** What the exporter needs of a session. */
export interface ExportingSession {
  readonly port: { readonly target: ExportTarget; readonly exportPolicy: CompiledPolicy };
  readonly exportCache: ExportCache;
  readonly batchExports: BatchExports;
}

export class Exporter {
  /** Sets exported without caching (prefix-dependent policies), released after their batch. */
  private readonly transient: AttrSet[] = [];

  constructor(
    private readonly rib: LocRib,
    private readonly local: LocalIdentity,
  ) {}

  /**
   * The interned attributes `s` should have for path row `row` of the prefix in `slot`, or null for
   * none. Cached per session until the set leaves the store; prefix-dependent results are released
   * by `releaseTransient` after their batch.
   */
  path(s: ExportingSession, family: FamilyIndex, slot: number, row: number): AttrSet | null {
    const rib = this.rib;
    const source = rib.sources.get(rib.pool.source[row]!);
    if (!mayExport(source, s.port.target)) return null;
    const attrs = rib.store.get(rib.pool.attrs[row]!);
    const cacheable = !s.port.exportPolicy.prefixDependent;
    if (cacheable) {
      const hit = s.exportCache.get(source, attrs);
      if (hit !== undefined) return hit;
    }
    const r = this.run(s, family, slot, source, attrs, cacheable);
    // exportAttributes made a new object (a policy's changes too): the store may keep it as the set.
    const set = r.accept ? rib.store.intern(r.attrs, true) : null;
    if (set) rib.store.retain(set);
    if (!cacheable) {
      if (set) this.transient.push(set);
      return set;
    }
    s.exportCache.put(source, attrs, set);
    return set;
  }

  /**
   * `path` for a peer sent only best paths: under a policy that does not look at the prefix the
   * result is not interned, only remembered for the batch being built (clear `batchExports` after it).
   */
  best(s: ExportingSession, family: FamilyIndex, slot: number, best: number): PathAttributes | null {
    if (s.port.exportPolicy.prefixDependent) return this.path(s, family, slot, best);
    const rib = this.rib;
    const source = rib.sources.get(rib.pool.source[best]!);
    if (!mayExport(source, s.port.target)) return null;
    const attrs = rib.store.get(rib.pool.attrs[best]!);
    const hit = s.batchExports.get(source, attrs);
    if (hit !== undefined) return hit;
    const r = this.run(s, family, slot, source, attrs, true);
    const result = r.accept ? r.attrs : null;
    s.batchExports.put(source, attrs, result);
    return result;
  }

  /** Gives back the sets exported under prefix-dependent policies, once their batch is encoded. */
  releaseTransient(): void {
    for (const set of this.transient) this.rib.store.releaseId(set.__id);
    this.transient.length = 0;
  }

  /** The export rules and the peer's export policy for one path (`anyPrefix`: the policy reads no prefix). */
  private run(
    s: ExportingSession,
    family: FamilyIndex,
    slot: number,
    source: PathSource,
    attrs: AttrSet,
    anyPrefix: boolean,
  ) {
    const fam = FAMILY_NAMES[family];
    const target = s.port.target;
    return s.port.exportPolicy.run(exportAttributes({ source, attrs }, target, this.local, fam), {
      prefix: anyPrefix ? '' : this.rib.families[family].table.text(slot),
      peerType: target.kind,
      sourceKind: source.kind,
      direction: 'export',
      rrClient: target.rrClient,
      localAs: this.local.asn,
      selfAddress: fam === 'ipv4' ? target.selfIpv4 : target.selfIpv6,
    });
  }
}
