// Label selectors in the subset of Calico's syntax that pools and peers need: terms joined by `&&`,
// each one of  all()  |  has(k)  |  !has(k)  |  k == 'v'  |  k != 'v'  |  k in {'a', 'b'}.
// An empty selector matches every node.

type Term = (labels: Record<string, string>) => boolean;

const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*';
const VALUE = `'([^']*)'|"([^"]*)"`;
const PATTERNS: [RegExp, (m: RegExpMatchArray) => Term][] = [
  [/^all\(\)$/, () => () => true],
  [new RegExp(`^has\\((${KEY})\\)$`), (m) => (l) => m[1]! in l],
  [new RegExp(`^!\\s*has\\((${KEY})\\)$`), (m) => (l) => !(m[1]! in l)],
  [new RegExp(`^(${KEY})\\s*==\\s*(?:${VALUE})$`), (m) => (l) => l[m[1]!] === (m[2] ?? m[3])],
  [new RegExp(`^(${KEY})\\s*!=\\s*(?:${VALUE})$`), (m) => (l) => l[m[1]!] !== (m[2] ?? m[3])],
  [
    new RegExp(`^(${KEY})\\s+in\\s+\\{([^}]*)\\}$`),
    (m) => {
      const set = new Set(m[2]!.split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')));
      return (l) => l[m[1]!] !== undefined && set.has(l[m[1]!]!);
    },
  ],
];

export type SelectorResult = { ok: true; matches: Term } | { ok: false; reason: string };

export function parseSelector(selector: string): SelectorResult {
  const text = selector.trim();
  if (text === '') return { ok: true, matches: () => true };
  const terms: Term[] = [];
  for (const raw of text.split('&&')) {
    const part = raw.trim();
    const hit = PATTERNS.find(([re]) => re.test(part));
    if (!hit) {
      return {
        ok: false,
        reason: `selector term "${part}" is not one of all(), has(k), !has(k), k == 'v', k != 'v', k in {'a'}`,
      };
    }
    terms.push(hit[1](part.match(hit[0])!));
  }
  return { ok: true, matches: (labels) => terms.every((t) => t(labels)) };
}

/** Whether `labels` match; an invalid selector matches nothing (validation rejects it earlier). */
export function selectorMatches(selector: string | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  const r = parseSelector(selector);
  return r.ok && r.matches(labels);
}

export const selectorProblem = (s: string): string | undefined => {
  const r = parseSelector(s);
  return r.ok ? undefined : r.reason;
};
