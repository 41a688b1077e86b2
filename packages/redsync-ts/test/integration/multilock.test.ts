/**
 * The multi-lock on real servers: all or nothing, exclusion with mutexes of the same names,
 * waiters woken by the release of the key that stopped them, extend and release, and on 3 nodes
 * callers of opposite orders in 2 processes that never deadlock and never share a name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LockLostError, Redsync, type Permit } from '../../src/index.js';
import { ADAPTERS, aborted, startCluster, uniqueName, type TestCluster } from '../support/cluster.js';

/** Non-null, or a failed assertion. */
function held<T>(hold: T | null, what: string): T {
  assert.ok(hold !== null, what);
  return hold;
}

for (const adapter of ADAPTERS) {
  describe(`multi-lock (${adapter}, 1 node)`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 1);
    });
    after(() => cluster.close());

    test('all or nothing, and mutexes of the same names are excluded both ways', async () => {
      const rs = new Redsync(cluster.nodes, { ttl: 30_000 });
      const [a, b] = [uniqueName('a'), uniqueName('b')];
      const holdsB = held(await rs.mutex(b).tryAcquire(), 'mutex b');
      assert.equal(await rs.multiLock([a, b]).tryAcquire(), null, 'b is taken');
      assert.equal(await cluster.admin[0]?.exists(a), 0, 'nothing of the failed attempt stays on a');
      await holdsB.release();
      const both = held(await rs.multiLock([b, a]).tryAcquire(), 'both free');
      assert.equal(await rs.mutex(a).tryAcquire(), null, 'a is held by the multi-lock');
      assert.equal(await rs.mutex(b).tryAcquire(), null, 'b is held by the multi-lock');
      assert.equal(await rs.multiLock([b]).tryAcquire(), null);
      assert.equal(await both.release(), true);
      const again = held(await rs.mutex(a).tryAcquire(), 'a is free after the release');
      await again.release();
      await rs.close();
    });

    test("a waiter is woken by the release of the key that stopped it, long before that key's ttl", async () => {
      const rs = new Redsync(cluster.nodes, { ttl: 60_000 });
      const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
      const holdsC = held(await rs.mutex(c).tryAcquire(), 'mutex c');
      const holdsA = held(await rs.mutex(a).tryAcquire(), 'mutex a');
      let got: Permit | undefined;
      const waiting = rs
        .multiLock([a, b, c])
        .acquire({ timeout: 30_000 })
        .then((hold) => (got = hold));
      await holdsA.release();
      assert.equal(got, undefined, 'c is still held');
      await holdsC.release();
      const hold = await waiting; // a 60 s ttl and a 30 s timeout: only a notification gets here
      assert.ok(hold.remaining() > 30_000);
      await hold.release();
      await rs.close();
    });

    test('extend renews every key; a hold whose keys expired is lost, and release says so', async () => {
      const rs = new Redsync(cluster.nodes);
      const names = [uniqueName('a'), uniqueName('b')];
      const hold = held(await rs.multiLock(names, { ttl: 30_000 }).tryAcquire(), 'hold');
      await cluster.admin[0]?.pexpire(names[0] as string, 100);
      assert.ok((await hold.extend()) > 0);
      assert.ok(((await cluster.admin[0]?.pttl(names[0] as string)) ?? 0) > 20_000, 'extend renewed the first key');
      // A short ttl, with a per-node timeout a loaded machine can meet (half the ttl, not 5 %).
      const patient = new Redsync(cluster.nodes, { timeoutFactor: 0.5 });
      const short = held(await patient.multiLock([uniqueName('x'), uniqueName('y')], { ttl: 300 }).tryAcquire(), 'short hold');
      assert.ok((await aborted(short.signal)) instanceof LockLostError);
      await assert.rejects(short.extend(), LockLostError);
      assert.equal(await short.release(), false);
      assert.equal(await hold.release(), true);
      await Promise.all([rs.close(), patient.close()]);
    });
  });
}

describe('multi-lock on 3 nodes (ioredis)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());

  test('callers of [a, b], [b, a], [b, c] and a mutex on a, in 2 processes, 300 holds: no deadlock, never a name held twice', async () => {
    const fleet = [new Redsync(cluster.nodes, { ttl: 30_000 }), new Redsync(await cluster.connect(), { ttl: 30_000 })];
    const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    const holders = new Map<string, number>([a, b, c].map((name) => [name, 0]));
    let violations = 0;
    let holds = 0;
    const enter = (names: readonly string[], step: number): void => {
      for (const name of names) holders.set(name, (holders.get(name) ?? 0) + step);
      if (step > 0 && names.some((name) => (holders.get(name) ?? 0) > 1)) violations += 1;
    };
    const worker = async (rs: Redsync, names: readonly string[]): Promise<void> => {
      while (holds < 300) {
        const hold = names.length === 1 ? await rs.mutex(names[0] as string).acquire({ timeout: 20_000 }) : await rs.multiLock(names).acquire({ timeout: 20_000 });
        enter(names, 1);
        holds += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
        enter(names, -1);
        await hold.release();
      }
    };
    const shapes = [[a, b], [b, a], [b, c], [a]];
    await Promise.all(fleet.flatMap((rs) => shapes.map((names) => worker(rs, names))));
    assert.equal(violations, 0);
    assert.ok(holds >= 300);
    await Promise.all(fleet.map((rs) => rs.close()));
  });

  test('bad input is refused before any I/O', () => {
    const rs = new Redsync(cluster.nodes);
    assert.throws(() => rs.multiLock([]), RangeError);
    assert.throws(() => rs.multiLock('a' as never), /names must be an array/);
    assert.throws(() => rs.multiLock(['a', '']), /names\[1\] must not be empty/);
    assert.throws(() => rs.multiLock(['a', 'b', 'a']), /must not repeat/);
    assert.throws(() => rs.multiLock(['a', 7 as never]), /names\[1\] must be a string/);
    assert.throws(() => rs.multiLock(Array.from({ length: 1001 }, (_, i) => `n${String(i)}`)), /at most 1000/);
    assert.throws(() => rs.multiLock(['a'], { ttl: 0 }), /options.ttl/);
    assert.throws(() => rs.multiLock(['a'], { tll: 5 } as never), /unknown option "tll"/);
  });
});
