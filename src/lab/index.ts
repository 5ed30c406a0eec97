// The test/lab harness: real namespaces, links and daemons for tests, benchmarks and `tsroute lab`.
export { Bird, birdConfig, parseBirdRoutes } from './bird.js';
export { BUSYBOX, busyboxRootfsTar, isStaticElf } from './busybox-image.js';
export { type Capture, startCapture } from './capture.js';
export { Daemon, isAlive, stopPid } from './daemon.js';
export { DOCKER_CLIENT, DOCKERD, Dockerd } from './dockerd.js';
export { type Etcd, startEtcd } from './etcd.js';
export { Exabgp, type ExaMessage, exabgpConfig } from './exabgp.js';
export { CommandError, requireBinary, run } from './exec.js';
export { freePort } from './free-port.js';
export { Frr, frrBgpdConfig } from './frr.js';
export { Gobgp, gobgpConfig, parseGobgpRib } from './gobgp.js';
export { Lab, type LinkEnd, sweepRun } from './lab.js';
export { type KernelRoute, Netns } from './netns.js';
export { Openbgpd, type OpenbgpdSpec, openbgpdConfig } from './openbgpd.js';
export { containersConf, installCniPlugin, PODMAN, Podman, STANDARD_CNI_DIR } from './podman.js';
export * from './router.js';
export { RUN_PREFIX, uniqueName } from './run-prefix.js';
export { sleep, waitFor } from './wait.js';
