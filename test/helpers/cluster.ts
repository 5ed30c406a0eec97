// Test clusters live in the harness (src/lab/cluster.ts) so the demo and benchmarks share them.
export * from '../../src/lab/cluster.js';
