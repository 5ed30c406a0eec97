// CNI invocation parsing: each malformed environment or configuration gets the spec's error code.
import test from 'ava';
import { parseInvocation } from '../../src/cni/config.js';
import { CniError } from '../../src/cni/errors.js';

const conf = (extra: object = {}) => JSON.stringify({ cniVersion: '1.1.0', name: 'tsrnet', type: 'tsroute', ...extra });
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/x',
  CNI_IFNAME: 'eth0',
  ...extra,
});

const cases: { name: string; env: NodeJS.ProcessEnv; stdin: string; code: number; msg: RegExp }[] = [
  { name: 'no CNI_COMMAND', env: env({ CNI_COMMAND: '' }), stdin: conf(), code: 4, msg: /CNI_COMMAND must be one of/ },
  { name: 'unknown command', env: env({ CNI_COMMAND: 'FROB' }), stdin: conf(), code: 4, msg: /got "FROB"/ },
  { name: 'config not JSON', env: env(), stdin: '{"cniVersion":', code: 6, msg: /not valid JSON/ },
  { name: 'config not an object', env: env(), stdin: '[1,2]', code: 6, msg: /JSON object/ },
  {
    name: 'unsupported cniVersion',
    env: env(),
    stdin: conf({ cniVersion: '9.9.9' }),
    code: 1,
    msg: /"9.9.9" is not supported/,
  },
  {
    name: 'GC with an old cniVersion',
    env: env({ CNI_COMMAND: 'GC' }),
    stdin: conf({ cniVersion: '1.0.0' }),
    code: 1,
    msg: /GC needs cniVersion 1.1.0/,
  },
  { name: 'no network name', env: env(), stdin: conf({ name: '' }), code: 7, msg: /no "name"/ },
  { name: 'bad mtu', env: env(), stdin: conf({ mtu: 12 }), code: 7, msg: /"mtu" must be/ },
  { name: 'pools not a list', env: env(), stdin: conf({ pools: 'a' }), code: 7, msg: /"pools" must be a list/ },
  {
    name: 'no container id',
    env: env({ CNI_CONTAINERID: '' }),
    stdin: conf(),
    code: 4,
    msg: /CNI_CONTAINERID is required/,
  },
  { name: 'no netns on ADD', env: env({ CNI_NETNS: '' }), stdin: conf(), code: 4, msg: /CNI_NETNS is required/ },
  {
    name: 'interface name too long',
    env: env({ CNI_IFNAME: 'a-very-long-ifname' }),
    stdin: conf(),
    code: 4,
    msg: /not a valid interface name/,
  },
  {
    name: 'malformed CNI_ARGS',
    env: env({ CNI_ARGS: 'IgnoreUnknown=1;oops' }),
    stdin: conf(),
    code: 4,
    msg: /"oops" is not KEY=VALUE/,
  },
];

for (const c of cases) {
  test(`CNI error ${c.code}: ${c.name}`, (t) => {
    const err = t.throws(() => parseInvocation(c.env, c.stdin), { instanceOf: CniError }) as CniError;
    t.is(err.code, c.code);
    t.regex(err.message, c.msg);
  });
}

test('valid invocations: DEL without netns, unknown CNI_ARGS kept, VERSION without stdin', (t) => {
  const del = parseInvocation(
    env({ CNI_COMMAND: 'DEL', CNI_NETNS: '', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web;Foo=bar' }),
    conf(),
  );
  t.is(del.command, 'DEL');
  t.deepEqual(del.args, { IgnoreUnknown: '1', K8S_POD_NAME: 'web', Foo: 'bar' });
  const version = parseInvocation({ CNI_COMMAND: 'VERSION' }, '');
  t.is(version.command, 'VERSION');
  const old = parseInvocation(env(), conf({ cniVersion: '0.4.0', runtimeConfig: { portMappings: [] }, unknownKey: 1 }));
  t.is(old.conf.cniVersion, '0.4.0');
});
