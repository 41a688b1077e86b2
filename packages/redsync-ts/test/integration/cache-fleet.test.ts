/**
 * The cache across real processes on 3 nodes: one loader call for a fleet-wide cold burst, a
 * filler killed or paused mid-load, a loader slower than its fill lock's ttl.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redsync } from '../../src/index.js';
import { startCluster, uniqueName, until, valuesOf, type TestCluster } from '../support/cluster.js';

const WORKER = fileURLToPath(new URL('../support/cache-worker.ts', import.meta.url));

interface Done {
  event: 'done';
  calls: number;
  values: string[];
  served: number;
}

interface Worker {
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  next(event: string): Promise<Record<string, unknown>>;
}

function startWorker(cluster: TestCluster, job: Record<string, unknown>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify({ sockets: cluster.servers.map((s) => s.socket), ...job })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async next(event) {
      for (;;) {
        const line = await lines.next();
        if (line.done === true) throw new Error(`worker exited before "${event}"`);
        const parsed = JSON.parse(line.value) as Record<string, unknown>;
        if (parsed['event'] === event) return parsed;
      }
    },
  };
}

describe('cache across processes (3 nodes)', () => {
  let cluster: TestCluster;
  const workers: Worker[] = [];
  before(async () => {
    cluster = await startCluster('ioredis', 3);
  });
  after(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await cluster.close();
  });

  test('4 processes x 250 concurrent gets of a cold key: one loader call, every caller served', async () => {
    const key = uniqueName('cold');
    const job = { key, gets: 250, loaderMs: 200, value: 'v', ttl: 60_000, lockTtl: 8000 };
    const fleet = Array.from({ length: 4 }, () => startWorker(cluster, job));
    workers.push(...fleet);
    await Promise.all(fleet.map((w) => w.next('ready')));
    for (const w of fleet) w.child.stdin.write('go\n');
    const done = (await Promise.all(fleet.map((w) => w.next('done')))) as unknown as Done[];
    assert.equal(done.reduce((sum, d) => sum + d.calls, 0), 1);
    assert.deepEqual(done.map((d) => d.values), [['v'], ['v'], ['v'], ['v']]);
    assert.equal(done.reduce((sum, d) => sum + d.served, 0), 1000);
  });

  test('a filler SIGKILLed mid-load: a waiter takes over when its fill lock expires; at most 2 loader calls', async () => {
    const key = uniqueName('killed');
    const filler = startWorker(cluster, { key, gets: 1, loaderMs: 60_000, value: 'never', ttl: 60_000, lockTtl: 400 });
    workers.push(filler);
    await filler.next('ready');
    filler.child.stdin.write('go\n');
    await filler.next('loading');
    let calls = 0;
    const rs = new Redsync(cluster.nodes);
    const cache = rs.cache<string>({ ttl: 60_000, lock: { ttl: 400 } });
    const waiting = Array.from({ length: 20 }, () =>
      cache.get(key, () => {
        calls += 1;
        return 'taken over';
      }),
    );
    // The waiters are parked on the fill (not polling a retry delay) before the filler dies.
    await until(() => cache.stats().waits >= 1, 'the waiters to wait');
    filler.child.kill('SIGKILL');
    assert.deepEqual(new Set(await Promise.all(waiting)), new Set(['taken over']));
    assert.equal(calls, 1);
    await rs.close();
  });

  test('a filler paused past its lease wakes and writes: the write is refused, the newer value stays', async () => {
    const key = uniqueName('paused');
    const filler = startWorker(cluster, { key, gets: 1, loaderMs: 1500, value: 'old', ttl: 60_000, lockTtl: 300, deaf: true });
    workers.push(filler);
    await filler.next('ready');
    filler.child.stdin.write('go\n');
    await filler.next('loading');
    process.kill(filler.child.pid ?? 0, 'SIGSTOP');
    const fillKey = `{cache:${key}}:fill`;
    await until(async () => (await valuesOf(cluster, fillKey)).every((v) => v === null), 'the paused filler\'s lock to expire');
    const rs = new Redsync(cluster.nodes);
    const cache = rs.cache<string>({ ttl: 60_000, lock: { ttl: 300 } });
    assert.equal(await cache.get(key, () => 'new'), 'new');
    process.kill(filler.child.pid ?? 0, 'SIGCONT');
    const done = (await filler.next('done')) as unknown as Done & { stats: { refusedWrites: number } };
    assert.deepEqual(done.values, ['old']); // what its own loader returned, to its own caller
    assert.equal(done.stats.refusedWrites, 1);
    assert.equal(await cache.get(key, () => 'unexpected'), 'new');
    await rs.close();
  });
});
