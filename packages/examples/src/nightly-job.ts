/**
 * A job that several replicas schedule but exactly one should run. Each replica calls `withLock`;
 * the winner runs the job with its lock renewed for as long as it works, and passes the lock's
 * signal into the work so that it stops the moment the lock is lost. The lock alone does not make
 * the job run once: a replica that arrives after the winner finished would get the lock too. So
 * the job leaves a record that it ran (here a variable shared by the simulated replicas; in a
 * service, the job's own output or a key), and whoever holds the lock checks it first.
 *
 * The others wait for the lock rather than give up after one attempt: a waiter is woken by the
 * winner's release, and a replica whose single attempt met a slow node would otherwise skip the
 * job although nobody ran it. A replica that waited all its tries while someone held the lock
 * (`LockTakenError`) skips too; any other failure (the lock nodes unreachable) is the caller's to
 * see, not a silent skip.
 *
 *   node dist/nightly-job.js             (starts 3 temporary redis-servers)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { LockTakenError, Redsync } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { connectNodes } from './connect.js';

/** Each replica's outcome: 'ran' for the one that ran the job, 'skipped' for the others. */
export async function runNightlyJob(lockUrls: readonly string[], replicas: number, jobName: string): Promise<string[]> {
  const redis = await connectNodes(lockUrls);
  let ran = false;
  try {
    // Closed before the clients: it holds the subscriber connections its waiters opened.
    await using rs = new Redsync(redis.nodes, { ttl: 1000 });
    return await Promise.all(
      Array.from({ length: replicas }, async () => {
        try {
          return await rs.withLock(`job:${jobName}`, async (signal) => {
            if (ran) return 'skipped'; // it ran while we waited
            await sleep(1500, undefined, { signal }); // longer than the ttl: renewal keeps the lock
            ran = true;
            return 'ran';
          });
        } catch (error) {
          if (error instanceof LockTakenError) return 'skipped';
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
