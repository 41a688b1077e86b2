/**
 * The read-write lock on real servers: readers share, a writer excludes everyone, a waiting writer
 * keeps new readers out (writer-preferring) and gives its place up when it stops waiting, a dead
 * reader's hold ends with its lease, and on 3 nodes a mixed workload never puts a reader beside a
 * writer or two writers together.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LockLostError, LockTakenError, Redsync, type Permit } from '../../src/index.js';
import { ADAPTERS, aborted, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';

/** Non-null, or a failed assertion. */
function held(permit: Permit | null, what: string): Permit {
  assert.ok(permit !== null, what);
  return permit;
}

for (const adapter of ADAPTERS) {
  describe(`read-write lock (${adapter}, 1 node)`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 1);
    });
    after(() => cluster.close());

    test('readers share; a writer waits for the last of them and keeps new readers out meanwhile', async () => {
      const rs = new Redsync(cluster.nodes);
      const lock = rs.rwlock(uniqueName('rw'), { ttl: 30_000 });
      const readers = await Promise.all([1, 2, 3].map(async (i) => held(await lock.read().tryAcquire(), `reader ${String(i)}`)));
      assert.equal(await lock.write().tryAcquire(), null, 'no writer beside readers');
      let writerIn = false;
      const writing = lock
        .write()
        .acquire({ timeout: 20_000 })
        .then((permit) => {
          writerIn = true;
          return permit;
        });
      const readerRefused = async (): Promise<boolean> => {
        const reader = await lock.read().tryAcquire();
        await reader?.release();
        return reader === null;
      };
      await until(readerRefused, 'the waiting writer keeps new readers out');
      await (readers[0] as Permit).release();
      await (readers[1] as Permit).release();
      assert.equal(writerIn, false, 'one reader is still in');
      await (readers[2] as Permit).release();
      const writer = await writing;
      assert.equal(await lock.read().tryAcquire(), null, 'no reader beside the writer');
      const reading = lock.read().acquire({ timeout: 20_000 });
      await writer.release();
      await (await reading).release();
      await rs.close();
    });

    test("a writer that stops waiting gives its place up; a dead reader's hold ends with its lease", async () => {
      const rs = new Redsync(cluster.nodes);
      const name = uniqueName('rw');
      const lock = rs.rwlock(name, { ttl: 1500 });
      const dead = held(await lock.read().acquire(), 'reader'); // never released
      const signal = dead.signal;
      const gaveUp = await lock
        .write()
        .acquire({ timeout: 100 })
        .catch((error: unknown) => error);
      assert.ok(gaveUp instanceof LockTakenError && gaveUp.timedOut);
      const reader = await lock.read().tryAcquire();
      assert.ok(reader !== null, 'a writer that gave up no longer keeps readers out');
      await reader.release();
      const writer = await rs.rwlock(name, { ttl: 30_000 }).write().acquire({ timeout: 20_000 });
      assert.ok(dead.remaining() <= 0, 'the writer got in only once the dead reader lease was over');
      assert.ok((await aborted(signal)) instanceof LockLostError);
      await writer.release();
      await rs.close();
    });
  });
}

describe('read-write lock on 3 nodes (ioredis)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());

  test('6 readers and 2 writers in 2 processes for 200 holds: never a reader beside a writer, never two writers', async () => {
    const fleet = [new Redsync(cluster.nodes), new Redsync(await cluster.connect())];
    const name = uniqueName('rw');
    let readers = 0;
    let writers = 0;
    let violations = 0;
    let holds = 0;
    let writes = 0;
    const worker = async (rs: Redsync, side: 'read' | 'write'): Promise<void> => {
      const lock = rs.rwlock(name, { ttl: 30_000 });
      while (holds < 200) {
        const permit = await lock[side]().acquire({ timeout: 20_000 });
        if (side === 'write') writers += 1;
        else readers += 1;
        if (writers > 1 || (writers === 1 && readers > 0)) violations += 1;
        holds += 1;
        if (side === 'write') writes += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        if (side === 'write') writers -= 1;
        else readers -= 1;
        await permit.release();
      }
    };
    const sides = ['read', 'read', 'read', 'write'] as const;
    await Promise.all(fleet.flatMap((rs) => sides.map((side) => worker(rs, side))));
    assert.equal(violations, 0);
    assert.ok(writes > 0, 'the writers got in among the readers');
    await Promise.all(fleet.map((rs) => rs.close()));
  });

  test('bad input is refused before any I/O', async () => {
    const rs = new Redsync(cluster.nodes);
    assert.throws(() => rs.rwlock(''), /name must not be empty/);
    assert.throws(() => rs.rwlock('x', { ttl: 0 }), /options.ttl/);
    assert.throws(() => rs.rwlock('x', { tll: 5 } as never), /unknown option "tll"/);
    await assert.rejects(rs.rwlock('x').read().acquire({ timeout: Number.NaN }), RangeError);
  });
});
