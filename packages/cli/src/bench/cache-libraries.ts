/**
 * The caches the bench compares, each as a user would set it up on one Redis (no in-memory tier,
 * so every hit is a Redis read like ours): redsync-ts's `rs.cache`, bentocache with its Redis
 * driver (L2 only), cache-manager with a Keyv Redis store, async-cache-dedupe with its Redis
 * storage. Each get goes through the library's get-or-compute call with the same loader.
 */
import KeyvRedis, { createClient } from '@keyv/redis';
import { createCache as createDedupe } from 'async-cache-dedupe';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { Redsync, fromIoredis } from 'redsync-ts';

export const CACHE_LIBRARIES = ['redsync-ts', 'bentocache 1.6.1', 'cache-manager 7.2.9', 'async-cache-dedupe 3.4.0'] as const;

/**
 * The cold burst's floor: no Redis, each process's callers share one loader call. What the
 * harness itself costs (4 processes on 2 cores settling 250 promises, the loader's timer) beside
 * the loader's nominal time.
 */
export const COLD_FLOOR = 'loader alone (floor)' as const;
/** The floor plus one round trip under the burst's load: one shared GET, then the loader. */
export const COLD_FLOOR_RTT = 'GET miss then loader (floor + 1 round trip)' as const;
/**
 * The least a fleet-wide fill can do, as a row: GET (a miss), SET NX of a lock, the loader, then
 * SET of the value and PUBLISH to processes subscribed before the burst; losers of the lock wait
 * for the message. Three round trips and the wake of idle processes, with no re-read, no lock
 * renewal or release, no timeout and no fault handling: the target's "loader time + 3 round
 * trips" as this machine runs it.
 */
export const COLD_FLOOR_PROTOCOL = 'GET, SET NX, loader, SET + PUBLISH (floor: 3 round trips)' as const;
export type CacheLibraryName = (typeof CACHE_LIBRARIES)[number] | typeof COLD_FLOOR | typeof COLD_FLOOR_RTT | typeof COLD_FLOOR_PROTOCOL;

/** One cache, with the loader fixed per call. */
export interface CacheLibrary {
  readonly name: string;
  get(key: string, loader: () => Promise<string>): Promise<unknown>;
  close(): Promise<void>;
}

/** Opens `name` on the server at `socket`, with entries living `ttlMs`. */
export async function openCache(name: CacheLibraryName, socket: string, ttlMs: number): Promise<CacheLibrary> {
  switch (name) {
    case COLD_FLOOR:
    case COLD_FLOOR_RTT: {
      const client = name === COLD_FLOOR_RTT ? new Redis({ path: socket }) : undefined;
      const get = oncePerKey((key, loader) => (client === undefined ? loader() : client.get(key).then(loader)));
      return { name, get, close: () => Promise.resolve(client?.disconnect()) };
    }
    case COLD_FLOOR_PROTOCOL:
      return openProtocolFloor(socket);
    case 'redsync-ts': {
      const client = new Redis({ path: socket });
      const rs = new Redsync([fromIoredis(client)]);
      const cache = rs.cache<string>({ ttl: ttlMs });
      return {
        name,
        get: (key, loader) => cache.get(key, loader),
        async close() {
          await rs.close();
          client.disconnect();
        },
      };
    }
    case 'bentocache 1.6.1': {
      // Connection options, not our client: bentocache makes its own with the ioredis 5 it pins.
      const bento = new BentoCache({ default: 'redis', stores: { redis: bentostore().useL2Layer(redisDriver({ connection: { path: socket } })) } });
      return { name, get: (key, loader) => bento.getOrSet({ key, factory: loader, ttl: ttlMs }), close: () => bento.disconnectAll() };
    }
    case 'cache-manager 7.2.9': {
      const client = createClient({ socket: { path: socket } as never });
      await client.connect();
      const cache = createCacheManager({ stores: [new Keyv({ store: new KeyvRedis(client) })] });
      return { name, get: (key, loader) => cache.wrap(key, loader, ttlMs), close: async () => (await cache.disconnect(), undefined) };
    }
    case 'async-cache-dedupe 3.4.0': {
      const client = new Redis({ path: socket });
      const cache = createDedupe({ ttl: Math.max(1, Math.round(ttlMs / 1000)), storage: { type: 'redis', options: { client: client as never } } }) as unknown as Record<string, (key: string) => Promise<unknown>> & { define(name: string, fn: (key: string) => Promise<unknown>): void };
      let current: () => Promise<string> = () => Promise.resolve('');
      cache.define('load', () => current());
      return {
        name,
        get: (key, loader) => {
          current = loader;
          return (cache['load'] as (key: string) => Promise<unknown>)(key);
        },
        close() {
          client.disconnect();
          return Promise.resolve();
        },
      };
    }
  }
}

/** The floors' single flight: one call of `fill` per key in this process (each burst has a new key). */
function oncePerKey(fill: (key: string, loader: () => Promise<string>) => Promise<string>): CacheLibrary['get'] {
  const flights = new Map<string, Promise<string>>();
  return (key, loader) => {
    let flight = flights.get(key);
    if (flight === undefined) {
      flight = fill(key, loader);
      flights.set(key, flight);
    }
    return flight;
  };
}

async function openProtocolFloor(socket: string): Promise<CacheLibrary> {
  const client = new Redis({ path: socket });
  const subscriber = new Redis({ path: socket });
  const waiting = new Map<string, (value: string) => void>();
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => waiting.get(channel.slice('floor:'.length))?.(message));
  await subscriber.psubscribe('floor:*');
  const fill = async (key: string, loader: () => Promise<string>): Promise<string> => {
    const cached = await client.get(key);
    if (cached !== null) return cached;
    // Listening before the lock attempt: a value published meanwhile is not missed.
    const arrived = new Promise<string>((resolve) => waiting.set(key, resolve));
    // A message read before this GET's reply would be missed: look again after a second.
    const late = setTimeout(() => void client.get(key).then((value) => value !== null && waiting.get(key)?.(value)), 1000);
    void arrived.then(() => clearTimeout(late));
    if ((await client.set(`${key}:lock`, '1', 'PX', 10_000, 'NX')) === null) return arrived;
    clearTimeout(late);
    const value = await loader();
    await client.pipeline().set(key, value, 'PX', 60_000).publish(`floor:${key}`, value).exec();
    return value;
  };
  const get = oncePerKey(fill);
  const close = (): Promise<void> => {
    client.disconnect();
    subscriber.disconnect();
    return Promise.resolve();
  };
  return { name: COLD_FLOOR_PROTOCOL, get, close };
}
