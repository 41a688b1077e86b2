/**
 * Locks through Sentinel (the test kit's: a master, 2 replicas, 3 sentinels), with ioredis's
 * `sentinels` option: locks exclude and wake waiters, and across a crash of the master the
 * sentinels promote a replica; a holder then either keeps a lock the replica had, or its renewals
 * fail and its signal aborts (never a silent second grant beyond the documented replication gap).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { LockLostError, LockNotAcquiredError, Redsync, ReplicasNotConfirmedError, fromIoredis, fromNodeRedis, isLockError } from '../../src/index.js';
import { startSentinel, type RedisSentinel } from '../../src/testing/index.js';
import { aborted, uniqueName, until } from '../support/cluster.js';

describe('Sentinel (ioredis, a master, 2 replicas, 3 sentinels)', () => {
  let deployment: RedisSentinel;
  const clients: Redis[] = [];
  before(async () => {
    deployment = await startSentinel({ replicas: 2, sentinels: 3 });
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await deployment.stop();
  });
  const open = (): Redis => {
    const client = new Redis({ sentinels: deployment.sentinels, name: deployment.masterName, maxRetriesPerRequest: 2, sentinelRetryStrategy: () => 100 });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  test('locks exclude and a waiter is woken by the release', async () => {
    const [a, b] = [new Redsync([fromIoredis(open())]), new Redsync([fromIoredis(open())])];
    const name = uniqueName('sentinel');
    const first = await a.mutex(name, { ttl: 60_000 }).acquire();
    assert.equal(await b.mutex(name).tryAcquire(), null);
    const waiting = b.mutex(name, { ttl: 60_000 }).acquire({ timeout: 20_000 });
    await first.release();
    await (await waiting).release(); // a 60 s ttl and a 20 s timeout: only the release message is this fast
    await Promise.all([a.close(), b.close()]);
  });

  test('node-redis createSentinel: locks exclude with an ioredis client, a waiter is woken by the release, waitReplicas works', async () => {
    const sentinel = createSentinel({ name: deployment.masterName, sentinelRootNodes: deployment.sentinels.map(({ host, port }) => ({ host, port })) });
    sentinel.on('error', () => undefined);
    await sentinel.connect();
    try {
      const [a, b] = [new Redsync([fromNodeRedis(sentinel)], { waitReplicas: 2 }), new Redsync([fromIoredis(open())])];
      const name = uniqueName('node-redis-sentinel');
      const first = await a.mutex(name, { ttl: 60_000 }).acquire();
      assert.equal(await b.mutex(name).tryAcquire(), null, 'an ioredis client sees the node-redis lock');
      // Another Redsync over the same client: a waiter of another "process", not handed the lock in-process.
      const c = new Redsync([fromNodeRedis(sentinel)]);
      const waiting = c.mutex(name, { ttl: 60_000 }).acquire({ timeout: 20_000 });
      await until(async () => Number(((await open().pubsub('NUMSUB', `${name}:released`)))[1]) === 1, 'the waiter subscribed');
      await first.release();
      await (await waiting).release(); // a 60 s ttl and a 20 s timeout: only the release message is this fast
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await sentinel.close();
    }
  });

  test('waitReplicas: with one of two replicas stopped, 1 is met (that replica has the key) and 2 fails typed', async () => {
    const rs = new Redsync([fromIoredis(open())], { ttl: 10_000, tries: 1 });
    const name = uniqueName('sentinel-replicated');
    const master = await deployment.master();
    const [stopped, live] = deployment.servers.filter((server) => server !== master && server.running);
    assert.ok(stopped !== undefined && live !== undefined);
    stopped.pause(); // SIGSTOP: it acknowledges nothing
    try {
      const error = await rs.mutex(name, { waitReplicas: 2 }).acquire().catch((e: unknown) => e);
      assert.ok(error instanceof LockNotAcquiredError);
      const cause = error.outcomes[0]?.error?.cause;
      assert.ok(cause instanceof ReplicasNotConfirmedError && cause.confirmed === 1 && cause.wanted === 2, String(cause));
      const lock = await rs.mutex(name, { waitReplicas: 1 }).acquire();
      const probe = new Redis({ path: live.socket });
      assert.equal(await probe.get(name), lock.value, 'the acknowledging replica has the key');
      probe.disconnect();
      assert.equal(await lock.release(), true);
    } finally {
      stopped.resume();
    }
    await rs.close();
  });

  test('waitReplicas covers renewals and every primitive: with a replica stopped, extends and grants are not confirmed', async () => {
    const node = fromIoredis(open());
    const rs = new Redsync([node], { ttl: 10_000, tries: 1, waitReplicas: 2 });
    const name = uniqueName('sentinel-renewals');
    // Both replicas acknowledging a write first (right after the deployment starts, the first
    // WAIT can take over 250 ms; a WAIT on a connection that wrote nothing returns at once).
    const admin = new Redis({ path: (await deployment.master()).socket });
    await until(async () => (await admin.set(`${name}:probe`, '1'), await admin.wait(2, 100)) === 2, 'both replicas to acknowledge');
    admin.disconnect();
    const lock = await rs.mutex(name).acquire();
    const sem = await rs.semaphore(`${name}:sem`, { limit: 2 }).acquire();
    const master = await deployment.master();
    const [stopped] = deployment.servers.filter((server) => server !== master && server.running);
    assert.ok(stopped !== undefined);
    const unconfirmed = (error: unknown): boolean => {
      const outcomes = (error as { outcomes?: readonly { error?: { cause?: unknown } }[] }).outcomes ?? [];
      return isLockError(error) && outcomes.some((outcome) => outcome.error?.cause instanceof ReplicasNotConfirmedError);
    };
    stopped.pause();
    try {
      const extend = await lock.extend().catch((e: unknown) => e);
      assert.ok(unconfirmed(extend), `the extend: ${String(extend)}`);
      assert.equal(lock.signal.aborted, false, 'a renewal that was not confirmed does not end the lock');
      const renew = await sem.extend().catch((e: unknown) => e);
      assert.ok(unconfirmed(renew), `the permit's extend: ${String(renew)}`);
      const grants = [
        () => rs.semaphore(`${name}:sem`, { limit: 2 }).tryAcquire(),
        () => rs.rwlock(`${name}:rw`).read().tryAcquire(),
        () => rs.rwlock(`${name}:rw`).write().tryAcquire(),
        () => rs.multiLock([`${name}:a`, `${name}:b`]).tryAcquire(),
        () => rs.fairLock(`${name}:fair`).tryAcquire(),
      ];
      for (const grant of grants) {
        const error = await grant().catch((e: unknown) => e);
        assert.ok(unconfirmed(error), String(error));
      }
      // A renewing lock whose renewals are never confirmed is lost by its validity end.
      const renewing = await new Redsync([node], { ttl: 2000, waitReplicas: 1 }).mutex(`${name}:renewing`, { autoExtend: true }).acquire();
      const renewingStopped = deployment.servers.find((server) => server !== master && server !== stopped && server.running);
      renewingStopped?.pause();
      try {
        assert.ok((await aborted(renewing.signal)) instanceof LockLostError);
      } finally {
        renewingStopped?.resume();
      }
    } finally {
      stopped.resume();
    }
    assert.ok((await lock.extend()) > 0, 'confirmed again once the replica is back');
    await Promise.all([lock.release(), sem.release()]);
    await rs.close();
  });

  test('the master crashes mid-hold: the sentinels promote a replica, and the holder keeps its lock or learns it lost it', async (t) => {
    const rs = new Redsync([fromIoredis(open())]);
    const name = uniqueName('sentinel-failover');
    const lock = await rs.mutex(name, { ttl: 20_000, autoExtend: true }).acquire();
    const signal = lock.signal;
    const master = await deployment.master();
    // The replicas have the key (replication is asynchronous: wait for it before the crash).
    await new Redis({ path: master.socket }).wait(2, 2000).catch(() => 0);
    const promoted = await deployment.killMaster();
    const probe = new Redis({ path: promoted.socket });
    t.diagnostic(`the promoted replica ${(await probe.exists(name)) === 1 ? 'has' : 'lacks'} the lock key`);
    probe.disconnect();
    assert.notEqual(promoted, master);
    const other = new Redsync([fromIoredis(open())]);
    const contender = await other.mutex(name, { ttl: 20_000 }).tryAcquire().catch((error: unknown) => error);
    if (contender === null) {
      // The replica had the key: the holder still holds it, and its renewals go on on the new master.
      t.diagnostic('the promoted replica had the lock');
      // Its own client may still be switching over: an extend then fails with a LockLostError
      // that does not end the lock (no node said it is gone); once switched, it works again.
      await until(async () => (await lock.extend().then(() => true, (error: unknown) => (error instanceof LockLostError ? false : Promise.reject(error)))), 'an extend on the new master');
      assert.equal(signal.aborted, false);
      assert.equal(await lock.release(), true);
    } else if (isLockError(contender)) {
      // The client was still switching over: the holder's lock stays on the promoted replica.
      t.diagnostic(`the contender's client was still switching over: ${contender.message}`);
      await lock.release().catch(() => false);
    } else {
      // A second holder got in: only if the key was lost, and then the first holder is told.
      t.diagnostic('the lock was lost in the failover; the holder was told');
      assert.ok((await aborted(signal)) instanceof LockLostError);
      await (contender as { release(): Promise<boolean> }).release();
    }
    await Promise.all([rs.close(), other.close()]);
    // The kit: every sentinel names the promoted replica, and the old master comes back as its
    // replica (never as an empty master) when restarted with a replicaof directive.
    await deployment.untilMaster(promoted);
    await master.restart({ config: { replicaof: `127.0.0.1 ${String(promoted.port)}` } });
    const old = new Redis({ path: master.socket });
    try {
      await until(async () => (await old.info('replication')).includes('master_link_status:up'), 'the old master to replicate the promoted one');
      assert.match(await old.info('replication'), /role:slave/);
    } finally {
      old.disconnect();
    }
  });
});
