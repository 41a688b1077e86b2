/** `npm run bench:semaphore`: the semaphore section alone, printed (the full bench includes it). */
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { semaphoreBench, semaphoreMarkdown } from './semaphore-bench.js';

const [server] = await startRedisServers(1);
if (server === undefined) throw new Error('no server');
try {
  const results = await semaphoreBench(server.socket, { rounds: Number(process.argv[2] ?? 3), log: (line) => console.error(line) });
  console.log(semaphoreMarkdown(results));
} finally {
  await stopRedisServers([server]);
}
