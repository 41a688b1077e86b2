/** `redsync stats` as a user runs it: exact counters, the eviction warning, --watch, --prometheus. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServers, stopRedisServers, type RedisServer } from 'redsync-ts/testing';

interface NodeSample {
  stats: { keyspaceHits: number; keyspaceMisses: number; canEvict: boolean };
}

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

function redsync(args: readonly string[]): { child: ChildProcessByStdio<null, Readable, Readable>; output: () => { stdout: string; stderr: string }; done: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, output: () => ({ stdout, stderr }), done: new Promise((resolve) => child.once('exit', resolve)) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe('redsync stats', { timeout: 60_000 }, () => {
  let servers: RedisServer[];
  before(async () => {
    servers = [...(await startRedisServers(1)), ...(await startRedisServers(1, { config: { maxmemory: '20mb', 'maxmemory-policy': 'allkeys-lru' } }))];
  });
  after(() => stopRedisServers(servers));

  test('--json reports the keyspace hits and misses exactly, and warns about a node that can evict', async () => {
    const [plain, evicting] = servers.map((s) => new Redis({ path: s.socket })) as [Redis, Redis];
    try {
      await plain.config('RESETSTAT');
      await plain.set('k', 'v');
      for (let i = 0; i < 7; i++) await plain.get('k');
      for (let i = 0; i < 3; i++) await plain.get('missing');
      const run = redsync(['stats', '--json', '--redis', servers[0]?.url ?? '', '--redis', servers[1]?.url ?? '']);
      assert.equal(await run.done, 0);
      const sample = JSON.parse(run.output().stdout) as { nodes: NodeSample[]; warnings: string[] };
      const [first, second] = sample.nodes as [NodeSample, NodeSample];
      assert.equal(first.stats.keyspaceHits, 7);
      assert.equal(first.stats.keyspaceMisses, 3);
      assert.equal(second.stats.canEvict, true);
      assert.ok(sample.warnings.some((w) => /can evict keys .*allkeys-lru/.test(w)), sample.warnings.join('\n'));
      assert.ok(sample.warnings.some((w) => /lock traffic moves it/.test(w)));
    } finally {
      plain.disconnect();
      evicting.disconnect();
    }
  });

  test('--watch on a pipe prints frames until SIGINT, then exits 0', async () => {
    const run = redsync(['stats', '--watch', '0.1', '--redis', servers[0]?.url ?? '']);
    await until(() => (run.output().stdout.match(/^total/gm) ?? []).length >= 2, 'two frames');
    run.child.kill('SIGINT');
    assert.equal(await run.done, 0);
    assert.equal(run.output().stdout.includes('\u001b['), false, 'no escape codes on a pipe');
  });

  test('--prometheus serves redis_exporter-named series', async () => {
    const run = redsync(['stats', '--prometheus', '127.0.0.1:0', '--redis', servers[0]?.url ?? '']);
    await until(() => /serving http/.test(run.output().stderr), 'the endpoint');
    const url = /serving (http\S+)/.exec(run.output().stderr)?.[1] ?? '';
    const text = await (await fetch(url)).text();
    run.child.kill('SIGTERM');
    assert.equal(await run.done, 0);
    for (const series of ['redis_up', 'redis_keyspace_hits_total', 'redis_keyspace_misses_total', 'redis_evicted_keys_total', 'redis_memory_used_bytes']) assert.match(text, new RegExp(`^${series}\\{node="unix://`, 'm'), series);
  });

  test('bad flags exit 64', async () => {
    const run = redsync(['stats', '--watch', 'often']);
    assert.equal(await run.done, 64);
    assert.match(run.output().stderr, /usage: redsync stats/);
  });
});
