// Label keys and values in Kubernetes' syntax, which Calico and kubectl users already know; a key a
// selector could not name (spaces, "==", a quote) would make the label unusable, so it is refused.
//   key:   [prefix/]name — prefix a DNS subdomain (at most 253), name at most 63 characters of
//          letters, digits, "-", "_", "." beginning and ending with a letter or digit
//   value: empty, or like a name

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `label key "${key}": the prefix before "/" must be a DNS subdomain (lower-case letters, digits, "-", ".")`;
  if (!NAME.test(name))
    return `label key "${key}" must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (optionally after a "prefix/")`;
  return undefined;
}

export function labelValueProblem(key: string, value: string): string | undefined {
  if (value === '' || NAME.test(value)) return undefined;
  return `label "${key}" value "${value}" must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
}

/** The first problem among `labels`, or undefined. */
export function labelsProblem(labels: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(k, v);
    if (problem) return problem;
  }
  return undefined;
}
