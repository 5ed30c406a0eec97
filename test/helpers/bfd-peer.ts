// A BfdService as its own process, for interop tests: started inside a lab namespace with
// `node test/helpers/bfd-peer.ts '<json>'`, it prints one JSON line per state change (and a status
// line every 200 ms) so the test reads what our side saw from the daemon's log.
import { type BfdPeer, BfdService } from '../../src/bfd/service.js';

const { peers } = JSON.parse(process.argv[2] ?? '{}') as { peers: BfdPeer[] };
const service = await BfdService.start();
service.on('state', (change) => console.log(JSON.stringify({ event: 'state', ...change })));
service.on('error', (err) => console.log(JSON.stringify({ event: 'error', message: err.message })));
for (const peer of peers) service.add(peer);
setInterval(async () => console.log(JSON.stringify({ event: 'status', sessions: await service.status() })), 200);
process.on('SIGTERM', () => service.close().then(() => process.exit(0)));
