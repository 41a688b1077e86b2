/**
 * The waiting flag: a release publishes only when a waiter's attempt raised the flag, so an
 * uncontended release costs no PUBLISH, and a contended one is always announced. Per adapter, on
 * 1 and 3 nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { Redsync } from '../../src/index.js';
import { releaseChannelOf, releaseTagOf, waitingFlagOf } from '../../src/keys.js';
import { ADAPTERS, startCluster, uniqueName, until, type TestCluster } from '../support/cluster.js';

const MINUTE = 60_000;

/** A raw subscriber on `channel` of `admin`'s server; `next()` resolves with the next message. */
async function listen(admin: Redis, channel: string): Promise<{ next: () => Promise<string>; close: () => void }> {
  const subscriber = admin.duplicate();
  const queued: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  subscriber.on('message', (_channel: string, message: string) => {
    const resolve = waiting.shift();
    if (resolve === undefined) queued.push(message);
    else resolve(message);
  });
  await subscriber.subscribe(channel);
  return {
    next: () => {
      const message = queued.shift();
      return message === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(message);
    },
    close: () => subscriber.disconnect(),
  };
}

/** The flag's remaining ttl on every server (-2: no flag). */
function flagTtls(cluster: TestCluster, key: string): Promise<number[]> {
  return Promise.all(cluster.admin.map((admin) => admin.pttl(waitingFlagOf(key))));
}

for (const adapter of ADAPTERS) {
  for (const n of [1, 3]) {
    describe(`the waiting flag on ${n} node(s) via ${adapter}`, { timeout: 30_000 }, () => {
      let cluster: TestCluster;
      let rs: Redsync;
      before(async () => {
        cluster = await startCluster(adapter, n);
        rs = new Redsync(cluster.nodes, { ttl: MINUTE, retryDelay: MINUTE });
      });
      after(async () => {
        await rs.close();
        await cluster.close();
      });

      test('an uncontended release publishes nothing', async () => {
        const name = uniqueName();
        const heard = await Promise.all(cluster.admin.map((admin) => listen(admin, releaseChannelOf(name))));
        try {
          const lock = await rs.mutex(name).acquire();
          assert.equal(await lock.release(), true);
          // A marker published after the release: it is the first message each server delivers.
          await Promise.all(cluster.admin.map((admin) => admin.publish(releaseChannelOf(name), 'marker')));
          assert.deepEqual(await Promise.all(heard.map((h) => h.next())), Array(n).fill('marker'));
          assert.deepEqual(await flagTtls(cluster, name), Array(n).fill(-2));
        } finally {
          for (const h of heard) h.close();
        }
      });

      /** An `acquire()` attempt that finds `name` taken and gives up (its attempt raises the flag). */
      const losingAttempt = (name: string): Promise<unknown> => assert.rejects(rs.mutex(name, { tries: 1 }).acquire(), { code: 'LOCK_TAKEN' });

      test('an attempt that finds the lock taken raises the flag for the holder ttl; the release takes it down and is announced once per node', async () => {
        const name = uniqueName();
        const held = await rs.mutex(name).acquire();
        await losingAttempt(name);
        for (const ttl of await flagTtls(cluster, name)) assert.ok(ttl > MINUTE / 2, `flag ttl ${String(ttl)} ms covers the holder's`);
        const heard = await Promise.all(cluster.admin.map((admin) => listen(admin, releaseChannelOf(name))));
        try {
          assert.equal(await held.release(), true);
          // The SHA1 of the value: one release heard from N nodes is recognisably one.
          assert.deepEqual(await Promise.all(heard.map((h) => h.next())), Array(n).fill(releaseTagOf(held.value)));
          assert.deepEqual(await flagTtls(cluster, name), Array(n).fill(-2));
        } finally {
          for (const h of heard) h.close();
        }
      });

      test('the scripts name the flag as companionKey does, with or without a hash tag', async () => {
        for (const suffix of ['plain', '{tag}rest', 'a{}b', '{}', 'open{only', 'x{y}z{w}']) {
          const name = `${uniqueName()}:${suffix}`;
          const held = await rs.mutex(name).acquire();
          await losingAttempt(name);
          assert.ok((await flagTtls(cluster, name)).every((ttl) => ttl > 0), `flag of ${name} raised`);
          await held.release();
          // A release settles at its quorum: the last node's may land a moment later.
          await until(async () => (await flagTtls(cluster, name)).every((ttl) => ttl === -2), `flag of ${name} taken down`);
        }
      });

      test('tryAcquire finding the lock taken raises no flag (nobody will wait), so the release publishes nothing', async () => {
        const name = uniqueName();
        const held = await rs.mutex(name).acquire();
        assert.equal(await rs.mutex(name).tryAcquire(), null);
        assert.deepEqual(await flagTtls(cluster, name), Array(n).fill(-2));
        const heard = await Promise.all(cluster.admin.map((admin) => listen(admin, releaseChannelOf(name))));
        try {
          assert.equal(await held.release(), true);
          // The first message each server delivers is the marker published after the release.
          await Promise.all(cluster.admin.map((admin) => admin.publish(releaseChannelOf(name), 'marker')));
          assert.deepEqual(await Promise.all(heard.map((h) => h.next())), Array(n).fill('marker'));
        } finally {
          for (const h of heard) h.close();
        }
      });

      test('a fenced attempt that finds the lock taken raises the flag too (on a quorum)', async () => {
        const name = uniqueName();
        const fenced = new Redsync(cluster.nodes, { ttl: MINUTE, fencing: true });
        const held = await fenced.mutex(name).acquire();
        assert.equal(await fenced.mutex(name).tryAcquire(), null);
        // The attempt settles once a quorum refused it. A straggler node that lacked the script
        // gets no late EVAL (a fenced attempt may SET the key; see script.ts): a quorum is what
        // can be promised.
        await until(async () => (await flagTtls(cluster, name)).filter((ttl) => ttl > 0).length >= Math.floor(cluster.nodes.length / 2) + 1, 'the flag raised on a quorum');
        await held.release();
        await until(async () => (await flagTtls(cluster, name)).every((ttl) => ttl === -2), 'the flag taken down on every node');
        await fenced.close();
      });
    });
  }
}
