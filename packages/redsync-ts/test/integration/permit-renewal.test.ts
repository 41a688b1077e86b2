/**
 * `autoExtend` on every primitive beyond the mutex: holds renewed on the lease keeper outlive
 * several ttls, stop renewing on release, and a hold taken away behind its back is lost, its
 * signal aborting with a `LockLostError` (reason `renewal-failed`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LockLostError, LockReleasedError, Redsync, type Permit } from '../../src/index.js';
import { aborted, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';

type Take = (rs: Redsync, name: string) => Promise<Permit>;

const PRIMITIVES: Record<string, { take: Take; keyOf: (name: string) => string }> = {
  semaphore: { take: (rs, name) => rs.semaphore(name, { limit: 2, ttl: 1000, autoExtend: true }).acquire(), keyOf: (name) => name },
  'read hold': { take: (rs, name) => rs.rwlock(name, { ttl: 1000, autoExtend: true }).read().acquire(), keyOf: (name) => `{${name}}:readers` },
  'write hold': { take: (rs, name) => rs.rwlock(name, { ttl: 1000, autoExtend: true }).write().acquire(), keyOf: (name) => name },
  'multi-lock': { take: (rs, name) => rs.multiLock([name, `${name}:b`], { ttl: 1000, autoExtend: true }).acquire(), keyOf: (name) => name },
  'fair lock': { take: (rs, name) => rs.fairLock(name, { ttl: 1000, autoExtend: true }).acquire(), keyOf: (name) => name },
};

describe('autoExtend on 3 nodes (ioredis)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(() => cluster.close());

  for (const [what, { take, keyOf }] of Object.entries(PRIMITIVES)) {
    test(`${what}: renewed past 3 ttls until released; lost when taken away on every node`, async () => {
      const rs = new Redsync(cluster.nodes);
      const name = uniqueName('renew');
      const hold = await take(rs, name);
      const signal = hold.signal;
      const first = hold.validUntil;
      await until(() => hold.validUntil > first + 3000, 'renewed past three ttls');
      assert.equal(signal.aborted, false);
      await hold.release();
      assert.ok((await aborted(signal)) instanceof LockReleasedError);

      const doomedName = uniqueName('renew');
      const doomed = await take(rs, doomedName);
      await Promise.all(cluster.admin.map((admin) => admin.del(keyOf(doomedName))));
      const reason = await aborted(doomed.signal);
      assert.ok(reason instanceof LockLostError && reason.reason === 'renewal-failed', String(reason));
      assert.equal(await doomed.release(), false);
      await rs.close();
    });
  }

  test('autoExtend is validated before any I/O', () => {
    const rs = new Redsync(cluster.nodes);
    assert.throws(() => rs.semaphore('x', { limit: 1, autoExtend: 'yes' as never }), /options.autoExtend must be a boolean/);
    assert.throws(() => rs.rwlock('x', { autoExtend: 1 as never }), /options.autoExtend/);
    assert.throws(() => rs.multiLock(['x'], { autoExtend: null as never }), /options.autoExtend/);
    assert.throws(() => rs.fairLock('x', { autoExtend: {} as never }), /options.autoExtend/);
  });
});
