/**
 * The raw floor: the least a Redis lock can cost with the same client. A hand-written SET NX PX to
 * take it (decided as soon as a quorum said OK) and a compare-and-delete EVALSHA to drop it (on
 * every node, all awaited), sent to every node at once, with no timeouts and no validity math.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

export interface FloorLock {
  /** Takes `key` on every client; true when a majority said OK. */
  lock(key: string): Promise<string | undefined>;
  unlock(key: string, value: string): Promise<void>;
}

export async function createFloor(clients: readonly Redis[], ttl: number): Promise<FloorLock> {
  const sha = String(await clients[0]?.script('LOAD', COMPARE_AND_DELETE));
  await Promise.all(clients.slice(1).map((c) => c.script('LOAD', COMPARE_AND_DELETE)));
  const quorum = Math.floor(clients.length / 2) + 1;
  const prefix = randomBytes(8).toString('hex');
  let counter = 0;
  return {
    async lock(key) {
      // The cheapest unique value there is: the floor pays for round trips and nothing else.
      const value = `${prefix}${String(++counter)}`;
      // Decided at the quorum, like the library and the Redlock peers: stragglers are not awaited.
      return new Promise((resolve, reject) => {
        let [ok, answered] = [0, 0];
        for (const c of clients) {
          c.set(key, value, 'PX', ttl, 'NX').then((reply) => {
            answered += 1;
            if (reply === 'OK') ok += 1;
            if (ok === quorum) resolve(value);
            else if (answered === clients.length) resolve(undefined);
          }, reject);
        }
      });
    },
    async unlock(key, value) {
      await Promise.all(clients.map((c) => c.evalsha(sha, 1, key, value)));
    },
  };
}
