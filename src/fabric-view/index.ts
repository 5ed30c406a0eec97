// The picture of a fabric: gather (read-etcd.ts + a lab's routers), join (from-cluster.ts), draw
// (svg.ts, page.ts). Only read-etcd.ts does I/O.
export * from './from-cluster.js';
export * from './page.js';
export * from './read-etcd.js';
export * from './snapshot.js';
export { renderSvg, SESSION_STYLE } from './svg.js';
