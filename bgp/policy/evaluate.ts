// Runs a Policy against one route. Policies are compiled once (prefixes parsed, communities turned
// into numbers, regexes built) so the per-route cost is a few comparisons.

import { type ParsedPrefix, parsePrefix, prefixContains } from '../prefix.js';
import {
  AS_SEQUENCE,
  asPathText,
  type PathAttributes,
  parseCommunity,
  parseLargeCommunity,
} from '../rib/attributes.js';
import type { SourceKind } from '../rib/path.js';
import type { Policy, PolicyActions, PolicyContext, PolicyResult, PolicyRule } from './policy.js';

interface CompiledRule {
  rule: PolicyRule;
  test: (attrs: PathAttributes, ctx: PolicyContext, parsed: () => ParsedPrefix) => boolean;
  apply?: (attrs: PathAttributes, ctx: PolicyContext) => PathAttributes;
}

export interface CompiledPolicy {
  readonly source: Policy;
  /** True when a verdict can depend on the prefix (callers cannot cache results per attribute set). */
  readonly prefixDependent: boolean;
  /** True when the policy accepts everything unchanged (the fast path). */
  readonly acceptAll: boolean;
  run(attrs: PathAttributes, ctx: PolicyContext): PolicyResult;
}

function compileMatch(rule: PolicyRule): CompiledRule['test'] {
  const m = rule.match;
  if (!m) return () => true;
  const tests: CompiledRule['test'][] = [];
  if (m.prefixes?.length) {
    const ranges = m.prefixes.map((p) => {
      const spec = typeof p === 'string' ? { prefix: p } : p;
      const net = parsePrefix(spec.prefix);
      const ge = spec.ge ?? net.length;
      const le = spec.le ?? (spec.ge !== undefined ? (net.family === 'ipv4' ? 32 : 128) : net.length);
      return { net, ge, le };
    });
    tests.push((_a, _c, parsed) => {
      const p = parsed();
      return ranges.some((r) => p.length >= r.ge && p.length <= r.le && prefixContains(r.net, p));
    });
  }
  if (m.prefixLength) {
    const { min = 0, max = 128 } = m.prefixLength;
    tests.push((_a, _c, parsed) => parsed().length >= min && parsed().length <= max);
  }
  if (m.family) {
    const v6 = m.family === 'ipv6';
    tests.push((_a, ctx) => ctx.prefix.includes(':') === v6);
  }
  if (m.communities?.length) {
    const wanted = m.communities.map(parseCommunity);
    tests.push((a) => wanted.some((c) => a.communities?.includes(c) ?? false));
  }
  if (m.largeCommunities?.length) {
    const wanted = m.largeCommunities.map(parseLargeCommunity);
    tests.push((a) => wanted.some((c) => a.largeCommunities?.includes(c) ?? false));
  }
  if (m.asPath) {
    const { contains, origin, neighbor, regex, maxLength } = m.asPath;
    const re = regex ? new RegExp(regex) : undefined;
    tests.push((a) => {
      const flat = a.asPath.flatMap((s) => s.asns);
      if (contains !== undefined && !flat.includes(contains)) return false;
      if (origin !== undefined && flat[flat.length - 1] !== origin) return false;
      if (neighbor !== undefined && (a.asPath[0]?.type !== AS_SEQUENCE || flat[0] !== neighbor)) return false;
      if (maxLength !== undefined && flat.length > maxLength) return false;
      if (re && !re.test(asPathText(a.asPath))) return false;
      return true;
    });
  }
  if (m.peerType !== undefined) {
    const kinds = new Set<SourceKind>([m.peerType].flat());
    tests.push((_a, ctx) => kinds.has(ctx.peerType));
  }
  if (m.learnedFrom !== undefined) {
    const kinds = new Set<SourceKind>([m.learnedFrom].flat());
    tests.push((_a, ctx) => kinds.has(ctx.sourceKind ?? ctx.peerType));
  }
  if (m.rrClient !== undefined) {
    const want = m.rrClient;
    tests.push((_a, ctx) => ctx.rrClient === want);
  }
  return (a, c, p) => tests.every((t) => t(a, c, p));
}

function compileActions(set: PolicyActions | undefined): CompiledRule['apply'] {
  if (!set || Object.keys(set).length === 0) return undefined;
  const add = set.addCommunities?.map(parseCommunity) ?? [];
  const remove = new Set(set.removeCommunities?.map(parseCommunity) ?? []);
  const addLarge = set.addLargeCommunities?.map(parseLargeCommunity) ?? [];
  const removeLarge = new Set(set.removeLargeCommunities?.map(parseLargeCommunity) ?? []);
  return (a, ctx) => {
    const out: PathAttributes = { ...a };
    if (add.length || remove.size) out.communities = [...(a.communities ?? []).filter((c) => !remove.has(c)), ...add];
    if (addLarge.length || removeLarge.size)
      out.largeCommunities = [...(a.largeCommunities ?? []).filter((c) => !removeLarge.has(c)), ...addLarge];
    if (set.prepend) {
      const added = set.prepend.asns ?? new Array<number>(set.prepend.count ?? 1).fill(set.prepend.asn ?? ctx.localAs);
      const first = a.asPath[0];
      if (first?.type === AS_SEQUENCE) {
        // On eBGP export our own AS already leads the path and must stay first.
        const keep = ctx.direction === 'export' && ctx.peerType === 'ebgp' && first.asns[0] === ctx.localAs ? 1 : 0;
        const asns = [...first.asns.slice(0, keep), ...added, ...first.asns.slice(keep)];
        out.asPath = [{ type: AS_SEQUENCE, asns }, ...a.asPath.slice(1)];
      }
      // The configured list is copied: the result may become an interned set, whose parts are frozen.
      else out.asPath = [{ type: AS_SEQUENCE, asns: [...added] }, ...a.asPath];
    }
    if (set.localPref !== undefined) out.localPref = set.localPref;
    if (set.med !== undefined) out.med = set.med;
    if (set.nextHop !== undefined) {
      const nh = set.nextHop === 'self' ? ctx.selfAddress : set.nextHop;
      if (nh) out.nextHop = nh;
    }
    return out;
  };
}

export function compilePolicy(policy: Policy | undefined): CompiledPolicy {
  const source = policy ?? { rules: [] };
  const rules: CompiledRule[] = source.rules.map((rule) => ({
    rule,
    test: compileMatch(rule),
    apply: compileActions(rule.set),
  }));
  const acceptAll = rules.length === 0 && source.default !== 'reject';
  const prefixDependent = source.rules.some(
    (r) => r.match?.prefixes !== undefined || r.match?.prefixLength !== undefined || r.match?.family !== undefined,
  );
  return {
    source,
    acceptAll,
    prefixDependent,
    run(attrs, ctx) {
      if (acceptAll) return { accept: true, attrs };
      let parsedCache: ParsedPrefix | undefined;
      const parsed = () => {
        parsedCache ??= parsePrefix(ctx.prefix);
        return parsedCache;
      };
      let current = attrs;
      for (const r of rules) {
        if (!r.test(current, ctx, parsed)) continue;
        if (r.apply) current = r.apply(current, ctx);
        if (r.rule.action === 'accept') return { accept: true, attrs: current };
        if (r.rule.action === 'reject') return { accept: false };
      }
      return source.default === 'reject' ? { accept: false } : { accept: true, attrs: current };
    },
  };
}
