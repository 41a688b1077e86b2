/** `npm run bench:cache`: the cache section alone, printed (the full bench includes it). */
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { cacheBench, cacheMarkdown } from './cache-bench.js';
import { cacheTargets } from './cache-targets.js';

const [server] = await startRedisServers(1);
if (server === undefined) throw new Error('no server');
try {
  const results = await cacheBench(server.socket, { rounds: Number(process.argv[2] ?? 3), log: (line) => console.error(line) });
  console.log(`${cacheMarkdown(results)}\n\n${cacheTargets(results).join('\n')}`);
} finally {
  await stopRedisServers([server]);
}
