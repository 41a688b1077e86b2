/**
 * Fencing tokens guarding data kept on Redis itself, with `fencedSet`: the write and the token
 * check are one script, so a holder that woke up late cannot overwrite a newer holder's data.
 *
 *   node dist/fencing-redis.js           (starts 3 temporary redis-servers)
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Redsync, fencedSet } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { connectNodes } from './connect.js';

export async function fencingWithRedis(lockUrls: readonly string[], dataKey: string): Promise<{ accepted: string; stored: string | null }> {
  const redis = await connectNodes(lockUrls);
  try {
    // A short ttl keeps the demo quick; a 30 ms per-node timeout (the default 1% would be 3 ms)
    // keeps it from failing on a busy machine.
    const mutex = new Redsync(redis.nodes, { fencing: true, ttl: 300, timeoutFactor: 0.1 }).mutex(`report:${dataKey}`);
    const [dataNode] = redis.nodes;
    if (dataNode === undefined) throw new Error('no Redis node');
    const late = await mutex.acquire();
    await once(late.signal, 'abort'); // paused past its ttl
    const next = await mutex.acquire();
    const results = [
      (await fencedSet(dataNode, dataKey, 'written by the current holder', next.fence ?? 0)) ? 'current' : '',
      (await fencedSet(dataNode, dataKey, 'written by the late holder', late.fence ?? 0)) ? 'late' : '',
    ];
    await next.release();
    return { accepted: results.filter(Boolean).join(','), stored: await redis.clients[0]?.get(dataKey) ?? null };
  } finally {
    redis.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const servers = await startRedisServers(3);
  try {
    // eslint-disable-next-line no-console -- a runnable example prints its outcome
    console.log(await fencingWithRedis(servers.map((s) => s.url), 'example:report'));
  } finally {
    await stopRedisServers(servers);
  }
}
