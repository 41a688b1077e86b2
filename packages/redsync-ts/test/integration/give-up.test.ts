/**
 * How `acquire()` gives up, and what it says when it does: a time bound (`timeout`, with
 * `tries: Infinity`), and the real cause in the top-level message when every node failed alike
 * (the server's refusal when no password was given, the client's error when nodes are down).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { LockNotAcquiredError, LockTakenError, NodeError, RedisConfigError, Redsync, fromIoredis } from '../../src/index.js';
import { startRedisServers, stopRedisServers, type RedisServer } from '../../src/testing/index.js';
import { ADAPTERS, nth, openNode, startCluster, uniqueName, type TestCluster, serverOptionsFor, lacks } from '../support/cluster.js';

/** An ioredis (or iovalkey) client with its default options but one retry per request. */
function ioredisWithDefaults(socket: string, closers: (() => Promise<unknown>)[], valkey = false): Redis | Valkey {
  const client = valkey ? new Valkey({ path: socket, maxRetriesPerRequest: 1 }) : new Redis({ path: socket, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  closers.push(() => {
    client.disconnect();
    return Promise.resolve();
  });
  return client;
}

for (const adapter of ADAPTERS) {
  describe(`giving up via ${adapter}`, { timeout: 30_000 }, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 3);
    });
    after(() => cluster.close());

    test('acquire({ timeout }) with tries: Infinity rejects once the time is up, even with a minute-long retry delay', async () => {
      const name = uniqueName();
      await Promise.all(cluster.admin.map((admin) => admin.set(name, 'holder', 'PX', 60_000)));
      const rs = new Redsync(cluster.nodes, { tries: Number.POSITIVE_INFINITY, retryDelay: 60_000 });
      try {
        // A minute between attempts: only the timeout can end this within the test's timeout.
        const error = await rs.mutex(name).acquire({ timeout: 150 }).catch((e: unknown) => e);
        assert.ok(error instanceof LockTakenError, String(error));
        assert.equal(error.timedOut, true);
        assert.match(error.message, /^timed out after 150 ms \(\d+ attempt\(s\)\): lock is held by another owner on 3 node\(s\)$/);
        const values = await Promise.all(cluster.admin.map((admin) => admin.get(name)));
        assert.deepEqual(values, ['holder', 'holder', 'holder'], 'nothing of ours left behind');
      } finally {
        await rs.close();
      }
    });

    test('a bad timeout is a RangeError naming it, before any I/O', async () => {
      const rs = new Redsync(cluster.nodes);
      await assert.rejects(rs.mutex(uniqueName()).acquire({ timeout: -1 }), (e: unknown) => e instanceof RangeError && e.message.startsWith('acquire(options).timeout'));
      await assert.rejects(rs.withLock(uniqueName(), () => 1, { timeout: Number.NaN }), (e: unknown) => e instanceof RangeError && e.message.startsWith('options.timeout'));
    });

    test('when every node failed alike, the message says why, not only the cause', async () => {
      const servers = await startRedisServers(2, serverOptionsFor(adapter));
      const closers: (() => Promise<unknown>)[] = [];
      try {
        const nodes = await Promise.all(servers.map((s) => openNode(adapter, s, closers)));
        await Promise.all(servers.map((server) => server.kill()));
        const error = await new Redsync(nodes, { tries: 2, retryDelay: 1 }).mutex(uniqueName()).acquire().catch((e: unknown) => e);
        assert.ok(error instanceof LockNotAcquiredError && !(error instanceof LockTakenError), String(error));
        assert.equal(error.timedOut, false);
        const first = error.outcomes[0]?.error;
        assert.ok(first instanceof NodeError);
        const said = first.cause instanceof Error ? first.cause.message : String(first.cause);
        assert.ok(error.message.includes(`2 of 2 nodes failed (${said})`), `${error.message} should carry: ${said}`);
      } finally {
        await Promise.allSettled(closers.map((close) => close()));
        await stopRedisServers(servers);
      }
    });
  });

  describe(`a server that wants a password, given none, via ${adapter}`, { timeout: 30_000, skip: lacks(adapter, 'connect without the password') }, () => {
    let server: RedisServer;
    const closers: (() => Promise<unknown>)[] = [];
    before(async () => {
      [server] = (await startRedisServers(1, serverOptionsFor(adapter, { config: { requirepass: 'secret' } }))) as [RedisServer];
    });
    after(async () => {
      await Promise.allSettled(closers.map((close) => close()));
      await stopRedisServers([server]);
    });

    test('acquire and tryAcquire both report a RedisConfigError whose message has the server\'s refusal', async () => {
      // ioredis with its default options (an offline queue) hands the server's reply to the
      // command; set to fail fast it refuses to connect instead, before the library is involved.
      const node =
        adapter === 'ioredis' || adapter === 'iovalkey'
          ? fromIoredis(ioredisWithDefaults(server.socket, closers, adapter === 'iovalkey'))
          : await openNode(adapter, server, closers);
      // While ioredis reconnects after the refused handshake, an attempt can time out instead of
      // meeting the refusal: a short retry delay lets a later attempt see it.
      const mutex = new Redsync([node], { tries: 32, retryDelay: 10 }).mutex(uniqueName());
      const isTimeout = (e: unknown): boolean => e instanceof LockNotAcquiredError && /TimeoutError|did not answer/.test(String(e.outcomes[0]?.error?.cause));
      for (const call of [() => mutex.tryAcquire(), () => mutex.acquire()]) {
        let error: unknown;
        // One attempt may time out while the client reconnects; the first refusal it meets counts.
        for (let i = 0; i < 20 && (error === undefined || isTimeout(error)); i++) error = await call().catch((e: unknown) => e);
        assert.ok(error instanceof RedisConfigError, String(error));
        assert.match(error.message, /NOAUTH/);
        assert.equal(nth(error.outcomes, 0).error?.misconfigured, true);
      }
    });
  });
}
