/** One pass over every primitive and the cache on `nodes`: for the clients that run a subset of the suite. */
import assert from 'node:assert/strict';
import { Redsync, type RedisNode } from '../../src/index.js';
import { uniqueName } from './cluster.js';

/** Semaphore, read-write lock, multi-lock and fair lock exclude; a cache fills once for three callers, then hits. */
export async function primitivesAndCache(nodes: readonly RedisNode[], label: string): Promise<void> {
  const rs = new Redsync([...nodes], { ttl: 30_000 });
  const name = uniqueName(label);
  const permits = await Promise.all([1, 2].map(() => rs.semaphore(`${name}:sem`, { limit: 2 }).acquire({ timeout: 10_000 })));
  assert.equal(await rs.semaphore(`${name}:sem`, { limit: 2 }).tryAcquire(), null);
  const read = await rs.rwlock(`${name}:rw`).read().acquire();
  assert.equal(await rs.rwlock(`${name}:rw`).write().tryAcquire(), null);
  const both = await rs.multiLock([`${name}:a`, `${name}:b`]).acquire();
  assert.equal(await rs.mutex(`${name}:b`).tryAcquire(), null);
  const fair = await rs.fairLock(`${name}:fair`).acquire();
  assert.equal(await rs.fairLock(`${name}:fair`).tryAcquire(), null);
  await Promise.all([...permits, read, both, fair].map((hold) => hold.release()));
  let loads = 0;
  const cache = rs.cache<string>({ ttl: 30_000, prefix: `${name}:cache:` });
  const values = await Promise.all([1, 2, 3].map(() => cache.get('k', () => Promise.resolve(`v${String(++loads)}`))));
  assert.deepEqual(values, ['v1', 'v1', 'v1']);
  assert.equal(await cache.get('k', () => Promise.resolve('again')), 'v1', 'a hit');
  await rs.close();
}
