// The agent's API: the contract (agent.proto), its TypeScript mirror, a server adapter and a client.
export { AgentCallError, AgentClient, AgentDatastoreUnavailableError, AgentUnavailableError } from './client.js';
export { type AgentServer, serveAgent } from './server.js';
export * from './types.js';
