// BGPPeer keepOriginalNextHop and nextHopMode: one is the other's older spelling, a contradiction is refused.
import test from 'ava';
import { effectiveNextHopMode, parseResource, ValidationError } from '../../src/model/index.js';

const peer = (spec: Record<string, unknown>) =>
  parseResource({
    apiVersion: 'tsroute.io/v1',
    kind: 'BGPPeer',
    metadata: { name: 'tor' },
    spec: { peerIP: '10.0.0.9', asNumber: 65000, ...spec },
  }) as { spec: Parameters<typeof effectiveNextHopMode>[0] };

test('keepOriginalNextHop: true means nextHopMode keep; with nextHopMode self it is refused', (t) => {
  t.is(effectiveNextHopMode(peer({}).spec), 'auto');
  t.is(effectiveNextHopMode(peer({ keepOriginalNextHop: true }).spec), 'keep');
  t.is(effectiveNextHopMode(peer({ keepOriginalNextHop: true, nextHopMode: 'keep' }).spec), 'keep');
  t.is(effectiveNextHopMode(peer({ keepOriginalNextHop: false, nextHopMode: 'self' }).spec), 'self');
  t.is(effectiveNextHopMode(peer({ nextHopMode: 'keep' }).spec), 'keep');
  const err = t.throws(() => peer({ keepOriginalNextHop: true, nextHopMode: 'self' }), { instanceOf: ValidationError });
  t.regex(err.message, /bgppeer "tor": spec.keepOriginalNextHop: true .* spec.nextHopMode: self .* set only one/);
});
