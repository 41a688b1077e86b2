import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redsync, fencedSet } from '../../src/index.js';
import { nth, startCluster, uniqueName, until, valuesOf } from '../support/cluster.js';

const HOLDER = fileURLToPath(new URL('../support/paused-holder.ts', import.meta.url));

test('a holder paused past its ttl wakes up aborted, and its late fenced write is rejected', async () => {
  const cluster = await startCluster('ioredis', 3);
  const name = uniqueName();
  const dataKey = uniqueName('data');
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, JSON.stringify(cluster.servers.map((s) => s.socket)), name, dataKey], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const acquired = JSON.parse(String((await lines.next()).value)) as { fence: number };

    process.kill(child.pid ?? 0, 'SIGSTOP');
    await until(async () => (await valuesOf(cluster, name)).every((v) => v === null), 'the paused holder\'s key to expire');

    const newHolder = await new Redsync(cluster.nodes, { fencing: true }).mutex(name).acquire();
    assert.ok((newHolder.fence ?? 0) > acquired.fence);
    assert.equal(await fencedSet(nth(cluster.nodes, 0), dataKey, 'write from the new holder', newHolder.fence ?? 0), true);

    process.kill(child.pid ?? 0, 'SIGCONT');
    child.stdin.write('go\n');
    const woke = JSON.parse(String((await lines.next()).value)) as { signalAborted: boolean; reason: string; writeAccepted: boolean };
    assert.deepEqual(woke, { event: 'woke', signalAborted: true, reason: 'expired', writeAccepted: false });
    assert.equal(await cluster.admin[0]?.get(dataKey), 'write from the new holder');
    await newHolder.release();
  } finally {
    child.kill('SIGKILL');
    await cluster.close();
  }
});
