// Loads agent.proto once. The .proto sits beside this file in src/; the build copies it next to
// the compiled JS, and the fallback finds it from dist/ when it was not copied.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

export function protoPath(): string {
  for (const rel of ['./agent.proto', '../../../src/api/agent.proto']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('agent.proto not found next to src/api (is the package installed whole?)');
}

let cached:
  | { definition: protoLoader.PackageDefinition; service: grpc.ServiceDefinition; ctor: grpc.ServiceClientConstructor }
  | undefined;

export function agentProto() {
  if (!cached) {
    const definition = protoLoader.loadSync(protoPath(), PROTO_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      tsroute: { v1: { Agent: grpc.ServiceClientConstructor } };
    };
    cached = { definition, service: pkg.tsroute.v1.Agent.service, ctor: pkg.tsroute.v1.Agent };
  }
  return cached;
}
