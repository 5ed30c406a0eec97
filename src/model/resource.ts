// The envelope every tsroute resource shares, kubectl/calicoctl style:
//   apiVersion: tsroute.io/v1, kind, metadata.name, spec.
export const API_VERSION = 'tsroute.io/v1';

export interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The etcd mod revision the resource was read at; give it back on update for compare-and-swap. */
  resourceVersion?: string;
  creationTimestamp?: string;
}

export interface Resource<K extends string = string, S = unknown> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
}

/** A resource that failed validation: `message` is the one line to show a person. */
export class ValidationError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

// RFC 1123 subdomain, as Kubernetes and Calico name their resources.
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'metadata.name is required';
  if (name.length > 253) return `metadata.name "${name.slice(0, 20)}…" is longer than 253 characters`;
  if (!NAME.test(name)) {
    return `metadata.name "${name}" must be lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}
