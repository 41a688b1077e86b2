/**
 * The notification floor for a hot key: the least a handoff can cost on one node. A hand-written
 * SET NX PX to take the lock, a compare-and-delete that PUBLISHes on release, and waiters that
 * sleep until a message (one waiter per process per message) with no quorum, validity or safety
 * net beyond a 50 ms poll. A handoff is then about two round trips: the release (with its
 * message) and the next owner's SET.
 */
import type { Redis } from 'ioredis';
import type { LockLibrary } from './libraries.js';
import { TTL } from './libraries.js';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]); redis.call('publish', KEYS[1], ''); return 1 end return 0";

export async function notifyFloorLibrary(client: Redis): Promise<LockLibrary> {
  const sha = String(await client.script('LOAD', RELEASE));
  const subscriber = client.duplicate();
  const waiting = new Map<string, (() => void)[]>();
  const subscribed = new Set<string>();
  subscriber.on('message', (channel: string) => waiting.get(channel)?.shift()?.());
  let counter = 0;
  const prefix = `${String(process.pid)}:`;
  return {
    name: 'notification floor',
    async acquire(key) {
      const value = `${prefix}${String(++counter)}`;
      if (!subscribed.has(key)) {
        subscribed.add(key);
        await subscriber.subscribe(key);
      }
      for (;;) {
        if ((await client.set(key, value, 'PX', TTL, 'NX')) === 'OK') return () => client.evalsha(sha, 1, key, value);
        await new Promise<void>((resolve) => {
          const queue = waiting.get(key) ?? [];
          waiting.set(key, queue);
          const timer = setTimeout(() => {
            const at = queue.indexOf(wake);
            if (at !== -1) queue.splice(at, 1);
            resolve();
          }, 50);
          const wake = (): void => {
            clearTimeout(timer);
            resolve();
          };
          queue.push(wake);
        });
      }
    },
    close() {
      subscriber.disconnect();
      return Promise.resolve();
    },
  };
}
