// Test glue: a lab per test, destroyed when the test ends whatever its outcome.
import type { ExecutionContext } from 'ava';
import { Lab } from '../../src/lab/index.js';

export async function labFor(t: ExecutionContext): Promise<Lab> {
  const lab = await Lab.create(t.title);
  t.teardown(() => lab.destroy());
  return lab;
}
