// The Docker (libnetwork remote) NetworkDriver + IpamDriver: a thin translator onto the agent's API.
export { type Attachment, type AttachRequest, agentBackend, type DockerBackend } from './backend.js';
export { IpamDriver, POOL_OPTION } from './ipam-driver.js';
export { type DriverScope, NetworkDriver, peerNameOf } from './network-driver.js';
export { type DockerPlugin, type DockerPluginOptions, serveDockerPlugin } from './server.js';
export { DOCKER_PLUGIN_SPEC_DIR, removeSpec, specPath, writeSpec } from './spec.js';
export { DriverState } from './state.js';
