// The dataplane's public face: it is told the desired routes and links and makes the kernel match,
// over netlink, owning only what it marked (protocol numbers, the tsr link prefix, its nft table).

export { readRoutes } from './kernel-routes.js';
export { NAT_TABLE, setNatOutgoing } from './nat-outgoing.js';
export { type LinkNeighbour, linkLocalNeighbours } from './neighbours.js';
export { NetlinkChannel, NetlinkError } from './netlink-channel.js';
export { inNetns, prepareNetns } from './netns.js';
export { RouteTable, type RouteTableOptions } from './route-table.js';
export { advertiseRouter } from './router-advert.js';
export { openTcpSocket, prepareTcpSockets, setAcceptedOptions, setListenerMd5, socketHops } from './tcp-socket.js';
export * from './types.js';
export { VethWiring, type VethWiringOptions } from './veth-wiring.js';
