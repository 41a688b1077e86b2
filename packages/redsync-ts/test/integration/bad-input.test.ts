/**
 * Invalid input at every public entry point is refused with TypeError/RangeError before a single
 * command reaches Redis: checked on the server's own command statistics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Redsync, fencedSet, type MutexOptions } from '../../src/index.js';
import { ADAPTERS, startCluster, type TestCluster } from '../support/cluster.js';

const invalid = fc.oneof(
  fc.constantFrom(null, Number.NaN, Infinity, -Infinity, -1, 0, 0.5, 1e21, '', '8000', {}, [], () => 1, 10n),
  fc.string().filter((s) => s.length === 0 || s.length > 2000),
  fc.double({ noDefaultInfinity: false }).filter((d) => !Number.isSafeInteger(d) || d < 0),
);
const OPTIONS: (keyof MutexOptions)[] = ['ttl', 'tries', 'retryDelay', 'driftFactor', 'timeoutFactor', 'genValue', 'failFast', 'shufflePools', 'setNXOnExtend', 'autoExtend', 'autoExtendFactor', 'maxHold', 'fencing'];

const isArgumentError = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError;

async function refused(call: () => unknown): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (error) {
    return isArgumentError(error);
  }
}

for (const adapter of ADAPTERS) describe(`bad input via ${adapter}`, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(adapter, 1);
    await cluster.admin[0]?.config('RESETSTAT');
  });
  after(() => cluster.close());

  test(`every invalid argument is refused before any command reaches Redis (${adapter})`, async () => {
    const nodes = cluster.nodes;
    await fc.assert(
      fc.asyncProperty(invalid, fc.constantFrom(...OPTIONS), async (value, option) => {
        const options = { [option]: value } as MutexOptions;
        // A value that happens to be valid for this option (e.g. a function for retryDelay) proves nothing here.
        const valid = (() => {
          try {
            new Redsync(nodes).mutex('x', options);
            return true;
          } catch {
            return false;
          }
        })();
        if (valid) return;
        assert.ok(await refused(() => new Redsync(nodes, options)), `Redsync ${option}`);
        assert.ok(await refused(() => new Redsync(nodes).mutex('x', options)), `mutex ${option}`);
        assert.ok(await refused(() => new Redsync(nodes).withLock('x', () => 1, options)), `withLock ${option}`);
      }),
      { numRuns: 150 },
    );
    const rs = new Redsync(nodes);
    for (const name of ['', 'x'.repeat(2000), 5, null] as unknown[]) {
      assert.ok(await refused(() => rs.mutex(name as string)));
      assert.ok(await refused(() => rs.withLock(name as string, () => 1)));
    }
    assert.ok(await refused(() => rs.mutex('x').acquire({ signal: 'abort' } as never)));
    assert.ok(await refused(() => rs.mutex('x').tryAcquire({ autoExtend: 1 } as never)));
    assert.ok(await refused(() => rs.mutex('x').adopt('')));
    assert.ok(await refused(() => new Redsync([])));
    assert.ok(await refused(() => fencedSet(nodes[0]!, '', 'v', 1)));
    assert.ok(await refused(() => fencedSet(nodes[0]!, 'k', 'v', 0)));
    const stats = String(await cluster.admin[0]?.info('commandstats'));
    const lockCommands = stats.split('\n').filter((line) => /^cmdstat_(set|eval|evalsha|get|del|pexpire|incr):/.test(line));
    assert.deepEqual(lockCommands, [], 'no lock command reached the server');
  });
});
