// The agent's metrics server and its /fabric route: the page as HTML, a failure to read etcd as a
// 503 that says why (the page's refresh tries again), and /metrics unaffected either way.
import test from 'ava';
import { AgentMetrics } from '../../src/agent/metrics.js';
import { freePort } from '../../src/lab/index.js';

async function serving(page?: () => Promise<string>) {
  const m = new AgentMetrics();
  m.fabricPage = page;
  const port = await freePort();
  await m.serve('127.0.0.1', port);
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
  };
  return { m, get };
}

test('/fabric serves the page as HTML; /metrics is still there', async (t) => {
  const { m, get } = await serving(async () => '<!doctype html><p>fabric</p>');
  t.teardown(() => m.close());
  const page = await get('/fabric?x=1');
  t.is(page.status, 200);
  t.regex(page.type, /^text\/html/);
  t.is(page.body, '<!doctype html><p>fabric</p>');
  t.is((await get('/metrics')).status, 200);
  t.regex((await get('/nothing')).body, /see \/metrics or \/fabric/);
});

test('/fabric when etcd cannot be read: 503 with the reason, and the server keeps serving', async (t) => {
  const { m, get } = await serving(async () => {
    throw new Error('etcd unreachable');
  });
  t.teardown(() => m.close());
  const page = await get('/fabric');
  t.is(page.status, 503);
  t.is(page.body, 'cannot draw the fabric: etcd unreachable\n');
  t.is((await get('/metrics')).status, 200);
});

test('without a page set (a process that draws none) /fabric is a 404', async (t) => {
  const { m, get } = await serving(undefined);
  t.teardown(() => m.close());
  t.is((await get('/fabric')).status, 404);
});
