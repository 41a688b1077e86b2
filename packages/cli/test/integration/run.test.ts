/**
 * `redsync run` and `redsync inspect` as a user runs them: the built CLI as a child process, on
 * real redis-servers. Exit statuses, the child's environment, renewal, loss, signals, --once-per.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServers, stopRedisServers, type RedisServer } from 'redsync-ts/testing';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `redsync ARGS`; `done` resolves when it exits. */
function redsync(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcessByStdio<null, Readable, Readable>; done: Promise<Ran> } {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Ran>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe('redsync run', { timeout: 120_000 }, () => {
  let servers: RedisServer[];
  let admin: Redis[];
  let nodes: string[];
  const dir = mkdtempSync(join(tmpdir(), 'redsync-run-'));
  let n = 0;
  const name = (): string => `run-test-${String(process.pid)}-${String(n++)}`;
  const marker = (label: string): string => join(dir, `${label}-${String(n++)}`);
  before(async () => {
    servers = await startRedisServers(3);
    admin = servers.map((s) => new Redis({ path: s.socket }));
    nodes = servers.flatMap((s) => ['--redis', s.url]);
  });
  after(async () => {
    for (const a of admin) a.disconnect();
    await stopRedisServers(servers);
  });

  /** Holds `lock` with a `redsync run` whose command waits for `file` to appear. */
  async function hold(lock: string): Promise<{ stop: () => Promise<Ran> }> {
    const go = marker('go');
    const started = marker('started');
    const holder = redsync(['run', ...nodes, lock, '--', 'sh', '-c', `touch ${started}; while [ ! -e ${go} ]; do sleep 0.02; done`]);
    await until(() => existsSync(started), 'the holder to start');
    return { stop: () => (void spawn('touch', [go]), holder.done) };
  }

  test('the command runs with the lock in its environment; its exit status comes back', async () => {
    const out = marker('env');
    const ran = await redsync(['run', ...nodes, '--fencing', 'job', '--', 'sh', '-c', `echo "$REDSYNC_LOCK_NAME $REDSYNC_LOCK_KEY $REDSYNC_FENCE" > ${out}; exit 7`]).done;
    assert.equal(ran.code, 7);
    assert.match(readFileSync(out, 'utf8'), /^job job \d+\n$/);
    const killed = await redsync(['run', ...nodes, name(), '--', 'sh', '-c', 'kill -KILL $$']).done;
    assert.equal(killed.code, 128 + 9);
  });

  test('-n on a held lock exits 1 (or -E) without running the command; -w gives up; the lock is released afterwards', async () => {
    const lock = name();
    const holder = await hold(lock);
    const never = marker('never');
    assert.equal((await redsync(['run', ...nodes, '-n', lock, '--', 'touch', never]).done).code, 1);
    assert.equal((await redsync(['run', ...nodes, '-n', '-E', '0', lock, '--', 'touch', never]).done).code, 0);
    assert.equal((await redsync(['run', ...nodes, '-w', '0.3', '-E', '75', lock, '--', 'touch', never]).done).code, 75);
    assert.equal(existsSync(never), false);
    assert.equal((await holder.stop()).code, 0);
    // A release settles at its quorum: the last node's delete may land a moment after exit.
    await until(async () => (await Promise.all(admin.map((a) => a.exists(lock)))).every((e) => e === 0), 'the lock released on every node');
    assert.equal((await redsync(['run', ...nodes, '-n', lock, '--', 'touch', never]).done).code, 0);
    assert.equal(existsSync(never), true);
  });

  test('a command that outlives the ttl keeps the lock', async () => {
    const lock = name();
    const go = marker('go');
    const holder = redsync(['run', ...nodes, '--ttl', '0.3', lock, '--', 'sh', '-c', `while [ ! -e ${go} ]; do sleep 0.02; done`]);
    await until(async () => (await admin[0]?.exists(lock)) === 1, 'the lock');
    // Renewed twice: by then the first ttl (300 ms) has run out, and the key is still there.
    let [renewals, last] = [0, Number.POSITIVE_INFINITY];
    await until(async () => {
      const ttl = Number(await admin[0]?.pttl(lock));
      if (ttl > last) renewals += 1;
      last = ttl;
      return renewals >= 2;
    }, 'two renewals');
    assert.equal((await redsync(['run', ...nodes, '-n', lock, '--', 'true']).done).code, 1);
    spawn('touch', [go]);
    assert.equal((await holder.done).code, 0);
  });

  test('losing a majority of nodes: the command gets SIGTERM and redsync exits 75', async () => {
    const lock = name();
    const got = marker('term');
    const started = marker('started');
    const holder = redsync(['run', ...nodes, '--ttl', '0.5', lock, '--', 'sh', '-c', `trap 'touch ${got}; exit 0' TERM; touch ${started}; while true; do sleep 0.02; done`]);
    await until(() => existsSync(started), 'the command to start');
    await Promise.all([servers[0]?.kill(), servers[1]?.kill()]);
    try {
      const ran = await holder.done;
      assert.equal(ran.code, 75);
      assert.equal(existsSync(got), true, 'the command got SIGTERM');
      assert.match(ran.stderr, /lost/);
    } finally {
      await Promise.all([servers[0]?.restart(), servers[1]?.restart()]);
    }
  });

  test('SIGTERM to redsync reaches the command, and the lock is released', async () => {
    const lock = name();
    const got = marker('term');
    const started = marker('started');
    const holder = redsync(['run', ...nodes, lock, '--', 'sh', '-c', `trap 'touch ${got}; exit 0' TERM; touch ${started}; while true; do sleep 0.02; done`]);
    await until(() => existsSync(started), 'the command to start');
    holder.child.kill('SIGTERM');
    const ran = await holder.done;
    assert.equal(ran.code, 0, 'the command exited 0 from its trap');
    assert.equal(existsSync(got), true);
    await until(async () => (await Promise.all(admin.map((a) => a.exists(lock)))).every((e) => e === 0), 'the lock to be released');
  });

  test('--once-per: 5 concurrent replicas run the job exactly once', async () => {
    const lock = name();
    const log = marker('runs');
    const replicas = Array.from({ length: 5 }, () => redsync(['run', ...nodes, '--once-per', '60', lock, '--', 'sh', '-c', `echo ran >> ${log}; sleep 0.2`]).done);
    const ran = await Promise.all(replicas);
    assert.deepEqual(ran.map((r) => r.code), [0, 0, 0, 0, 0]);
    assert.equal(readFileSync(log, 'utf8'), 'ran\n');
  });

  test('inspect: a held, a free and a partially held lock', async () => {
    const lock = name();
    const holder = await hold(lock);
    const held = JSON.parse((await redsync(['inspect', ...nodes, '--json', lock]).done).stdout) as { heldOn: number; verdict: string; nodes: { holder?: string; value?: string }[] };
    assert.equal(held.heldOn, 3);
    assert.match(held.verdict, /held on 3 of 3 nodes, valid about/);
    assert.ok(held.nodes.every((node) => node.value === undefined && node.holder?.length === 5), 'only a masked value');
    await holder.stop();
    const free = await redsync(['inspect', ...nodes, lock]).done;
    assert.match(free.stdout, /free on every reachable node/);
    await admin[0]?.set(lock, 'someone', 'PX', 60_000);
    const partial = JSON.parse((await redsync(['inspect', ...nodes, '--json', lock]).done).stdout) as { heldOn: number; verdict: string };
    assert.equal(partial.heldOn, 1);
    assert.match(partial.verdict, /no quorum/);
  });

  test('bad input: 64 with the usage, an unreachable or refusing Redis 69, never a password or a stack', async () => {
    for (const args of [['run'], ['run', 'x'], ['run', '--wait', 'soon', 'x', '--', 'true'], ['run', '-E', '300', 'x', '--', 'true'], ['nope'], ['run', '--redis', 'http://x', 'x', '--', 'true']]) {
      const ran = await redsync(args).done;
      assert.equal(ran.code, 64, args.join(' '));
      assert.match(ran.stderr, /usage: redsync/);
      assert.doesNotMatch(ran.stderr, /\n\s+at /, 'no stack trace');
    }
    const refused = await redsync(['run', '--redis', 'redis://:hunter2@127.0.0.1:1', 'x', '--', 'true']).done;
    assert.equal(refused.code, 69);
    assert.doesNotMatch(refused.stderr, /hunter2/);
    assert.match(refused.stderr, /ECONNREFUSED/);
  });
});
