/**
 * A job that several replicas schedule but exactly one should run: each replica calls `withLock`
 * with a short wait; the winner runs the job with its lock renewed for as long as it works, and
 * passes the lock's signal into the work so it stops the moment the lock is lost.
 *
 *   node dist/nightly-job.js             (starts 3 temporary redis-servers)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { LockNotAcquiredError, Redsync } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { openNodes } from './connect.js';

/** Each replica's outcome: 'ran' for the one that ran the job, 'skipped' for the others. */
export async function runNightlyJob(lockUrls: readonly string[], replicas: number, jobName: string): Promise<string[]> {
  const redis = openNodes(lockUrls);
  let done = false;
  try {
    const rs = new Redsync(redis.nodes, { ttl: 1000 });
    return await Promise.all(
      Array.from({ length: replicas }, async () => {
        try {
          return await rs.withLock(
            `job:${jobName}`,
            async (signal) => {
              if (done) return 'skipped'; // someone ran it already while we waited
              await sleep(1500, undefined, { signal }); // longer than the ttl: renewal keeps the lock
              done = true;
              return 'ran';
            },
            { tries: 1 },
          );
        } catch (error) {
          if (error instanceof LockNotAcquiredError) return 'skipped';
          throw error;
        }
      }),
    );
  } finally {
    redis.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const servers = await startRedisServers(3);
  try {
    // eslint-disable-next-line no-console -- a runnable example prints its outcome
    console.log(await runNightlyJob(servers.map((s) => s.url), 4, 'nightly-report'));
  } finally {
    await stopRedisServers(servers);
  }
}
