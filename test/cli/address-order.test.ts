// Tables list addresses and prefixes in numeric order, not text order.
import test from 'ava';
import { byAddress, compareAddresses } from '../../cli/address-order.js';

test('addresses and prefixes sort numerically: .9 before .10, IPv4 before IPv6, shorter prefix first', (t) => {
  const shuffled = ['fd00::10', '10.0.0.10', 'fd00::9', '10.0.0.9/32', '10.0.0.0/24', '10.0.0.0/8', '9.255.0.0/16'];
  t.deepEqual([...shuffled].sort(compareAddresses), [
    '9.255.0.0/16',
    '10.0.0.0/8',
    '10.0.0.0/24',
    '10.0.0.9/32',
    '10.0.0.10',
    'fd00::9',
    'fd00::10',
  ]);
  t.deepEqual(
    byAddress([{ a: '10.65.0.100' }, { a: '10.65.0.20' }], (x) => x.a).map((x) => x.a),
    ['10.65.0.20', '10.65.0.100'],
  );
});
