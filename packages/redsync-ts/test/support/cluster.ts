/**
 * Test nodes: N real redis-server processes, wrapped for the adapter under test, plus an ioredis
 * admin connection per server for inspecting and tampering with keys behind the library's back.
 */
import { randomUUID } from 'node:crypto';
import { GlideClient, Logger } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { createClient } from 'redis';
import { createClient as createClientV4 } from 'redis-v4';
import { fromGlide, fromIoredis, fromNodeRedis, type RedisNode } from '../../src/index.js';
import { runScript } from '../../src/script.js';
import { lockRelease } from '../../src/scripts/index.js';
import { startRedisServers, stopRedisServers, type RedisServer, type RedisServerOptions } from '../../src/testing/index.js';

export type AdapterName = 'ioredis' | 'node-redis' | 'node-redis-v4' | 'iovalkey' | 'glide';
/**
 * Every test that talks to Redis runs once per client: ioredis 6, node-redis 5 and 4 and iovalkey
 * (the Valkey fork of ioredis) in `npm run test:all`; valkey-glide's `GlideClient` (over TCP; the
 * tests that need what glide does not give are skipped with the reason: see `lacks`) in
 * `npm run test:glide`, after the rest: glide's own threads answer later on a busy 2-core machine,
 * and the suite's short-ttl tests missed their per-node deadlines twice in 2 runs beside the
 * torture's short run.
 */
export const ADAPTERS: readonly AdapterName[] = adaptersFromEnv() ?? ['ioredis', 'node-redis', 'node-redis-v4', 'iovalkey'];

/** `REDSYNC_TEST_ADAPTERS=iovalkey,ioredis` runs the suite for those clients only. */
function adaptersFromEnv(): AdapterName[] | undefined {
  const list = process.env['REDSYNC_TEST_ADAPTERS'];
  if (list === undefined || list === '') return undefined;
  const known: readonly string[] = ['ioredis', 'node-redis', 'node-redis-v4', 'iovalkey', 'glide'];
  const names = list.split(',').map((name) => name.trim());
  for (const name of names) if (!known.includes(name)) throw new RangeError(`REDSYNC_TEST_ADAPTERS: unknown client ${name}`);
  return names as AdapterName[];
}

export interface TestCluster {
  readonly servers: RedisServer[];
  readonly nodes: RedisNode[];
  /** Raw ioredis connections for setup and assertions. */
  readonly admin: Redis[];
  /** Opens one more set of library nodes on the same servers (e.g. a second "process"). */
  connect(): Promise<RedisNode[]>;
  /** Brings every server back (restarted empty if killed, resumed if paused) and waits until the nodes answer. */
  heal(): Promise<void>;
  close(): Promise<void>;
}

/** An ACL user to connect as. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * A library node for `adapter` on `socket`, with client settings that fail fast instead of
 * queueing, so fault tests fail rather than hang. Its closer is pushed onto `closers`.
 */
export async function openNode(adapter: AdapterName, server: RedisServer, closers: (() => Promise<unknown>)[], auth: Partial<Credentials> = {}): Promise<RedisNode> {
  const socket = server.socket;
  if (adapter === 'glide') return openGlide(server, closers, auth);
  if (adapter === 'ioredis' || adapter === 'iovalkey') {
    const options = { path: socket, ...auth, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50, lazyConnect: true };
    return ioredisLike(adapter === 'ioredis' ? new Redis(options) : new Valkey(options), closers);
  }
  if (adapter === 'node-redis-v4') {
    const client = createClientV4({ socket: { path: socket, reconnectStrategy: () => 50 }, ...auth, disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
    closers.push(() => (client.isOpen ? client.disconnect() : Promise.resolve()));
    return fromNodeRedis(client);
  }
  const client = createClient({ socket: { path: socket, reconnectStrategy: () => 50 }, ...auth, disableOfflineQueue: true });
  client.on('error', () => undefined);
  await client.connect();
  closers.push(() => {
    if (client.isOpen) client.destroy();
    return Promise.resolve();
  });
  return fromNodeRedis(client);
}

/** Servers for `adapter`: glide takes no unix sockets, so its servers listen on TCP too. */
export function serverOptionsFor(adapter: AdapterName, options: RedisServerOptions = {}): RedisServerOptions {
  return adapter === 'glide' ? { ...options, tcp: true } : options;
}

/** What a test may need of a client that not every client gives. */
export type ClientNeed = 'feed' | 'connect without INFO' | 'connect without the password';

const GLIDE_LACKS: Readonly<Record<ClientNeed, string>> = {
  feed: 'glide takes subscriptions only when a client is created: no release feed, waiters use their retry delay',
  'connect without INFO': 'glide runs INFO when it connects: a user without INFO cannot connect at all',
  'connect without the password': 'glide refuses to connect without the password: the library never sees the refusal',
};

/** A skip reason when `adapter` cannot give what a test needs, else false (for `{ skip }`). */
export function lacks(adapter: AdapterName, need: ClientNeed): string | false {
  return adapter === 'glide' ? GLIDE_LACKS[need] : false;
}

async function openGlide(server: RedisServer, closers: (() => Promise<unknown>)[], auth: Partial<Credentials>): Promise<RedisNode> {
  if (server.port === undefined) throw new RangeError('glide needs a TCP server: start it with serverOptionsFor(adapter)');
  Logger.setLoggerConfig('off'); // glide logs every error reply (a NOSCRIPT included) by default
  const credentials = auth.password === undefined ? undefined : { ...(auth.username === undefined ? {} : { username: auth.username }), password: auth.password };
  const client = await GlideClient.createClient({ addresses: [{ host: '127.0.0.1', port: server.port }], requestTimeout: 2000, ...(credentials === undefined ? {} : { credentials }) });
  closers.push(() => {
    client.close();
    return Promise.resolve();
  });
  return fromGlide(client);
}

/** An ioredis or iovalkey client, connected, its closer pushed onto `closers`. */
async function ioredisLike(client: Redis | Valkey, closers: (() => Promise<unknown>)[]): Promise<RedisNode> {
  client.on('error', () => undefined);
  await client.connect();
  closers.push(() => {
    client.disconnect();
    return Promise.resolve();
  });
  return fromIoredis(client);
}

export async function startCluster(adapter: AdapterName, count: number, options?: RedisServerOptions): Promise<TestCluster> {
  const servers = await startRedisServers(count, serverOptionsFor(adapter, options));
  const closers: (() => Promise<unknown>)[] = [];
  const connect = (): Promise<RedisNode[]> => Promise.all(servers.map((s) => openNode(adapter, s, closers)));
  const admin = servers.map((s) => {
    const client = new Redis({ path: s.socket, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    return client;
  });
  const nodes = await connect();
  return {
    servers,
    nodes,
    admin,
    connect,
    async heal() {
      for (const server of servers) {
        if (!server.running) await server.restart();
        else server.resume();
      }
      await waitUntilReachable(nodes);
    },
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
      for (const client of admin) client.disconnect();
      await stopRedisServers(servers);
    },
  };
}

/** `items[index]`, or a thrown error instead of `undefined`. */
export function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`no item at index ${index}`);
  return item;
}

/** A lock name no other test uses, so tests never need FLUSHALL. */
export function uniqueName(label = 'lock'): string {
  return `test:${label}:${randomUUID()}`;
}

/** The value of `key` on every server. */
export function valuesOf(cluster: TestCluster, key: string): Promise<(string | null)[]> {
  return Promise.all(cluster.admin.map((admin) => admin.get(key)));
}

/**
 * Makes `key` expire on every server now (PEXPIRE 1) and waits until each server reports it gone.
 * The PEXPIRE is repeated: a straggler of a round that settled at its quorum (an extend) may land
 * after it and give the key its ttl back.
 */
export async function expireEverywhere(cluster: TestCluster, key: string): Promise<void> {
  await Promise.all(cluster.admin.map((admin) => admin.pexpire(key, 1)));
  for (let i = 0; i < 1000; i++) {
    const ttls = await Promise.all(cluster.admin.map((admin) => admin.pttl(key)));
    if (ttls.every((ttl) => ttl === -2)) return;
    // Only where a straggler gave the key a longer ttl again: PEXPIRE 1 in a tight loop would
    // keep pushing the expiry a millisecond ahead.
    await Promise.all(cluster.admin.map((admin, index) => ((ttls[index] ?? 0) > 1 ? admin.pexpire(key, 1) : Promise.resolve(0))));
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`key ${key} did not expire`);
}

/**
 * Waits until every library node answers again (clients reconnect on their own schedule after a
 * restart). Bounded: gives up after about five seconds.
 */
export async function waitUntilReachable(nodes: readonly RedisNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node, index) => {
      for (let i = 0; i < 500; i++) {
        try {
          await runScript(node, lockRelease, ['test:probe'], ['probe']);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      throw new Error(`node #${index} still unreachable`);
    }),
  );
}

/** Resolves once `condition()` holds, checking every 5 ms; rejects after about ten seconds. */
export async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Resolves with the abort reason once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

/**
 * Waits until every server holds `value` at `key`. Acquire and extend return as soon as a quorum
 * voted, so the last nodes may still be applying the command for a round trip; bounded by `until`.
 */
export function heldEverywhere(cluster: TestCluster, key: string, value: string | null): Promise<void> {
  return until(async () => (await valuesOf(cluster, key)).every((v) => v === value), `${key} held on every node`);
}
