import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, startRedisServers, stopRedisServers } from '../../src/testing/index.js';

const run = promisify(execFile);

function connect(socketOrPort: string | number): Redis {
  const client = typeof socketOrPort === 'number' ? new Redis({ port: socketOrPort, host: '127.0.0.1', lazyConnect: true }) : new Redis({ path: socketOrPort, lazyConnect: true });
  client.on('error', () => undefined);
  return client;
}

/** Resolves once `pid` no longer exists (bounded: about five seconds). */
async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} is still alive`);
}

describe('the test kit (redsync-ts/testing)', () => {
  test('starts independent servers on private unix sockets, and stops them', async () => {
    const servers = await startRedisServers(3);
    assert.equal(new Set(servers.map((s) => s.socket)).size, 3);
    const clients = servers.map((s) => connect(s.socket));
    await clients[0]?.set('k', 'only-on-0');
    assert.deepEqual(await Promise.all(clients.map((c) => c.get('k'))), ['only-on-0', null, null]);
    for (const c of clients) c.disconnect();
    await stopRedisServers(servers);
    assert.ok(servers.every((s) => !s.running && !existsSync(s.dir)));
  });

  test('tcp: true listens on a free loopback port', async () => {
    await using server = await startRedisServer({ tcp: true });
    assert.ok(server.port !== undefined && server.port > 0);
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    const client = connect(server.port);
    assert.equal(await client.ping(), 'PONG');
    client.disconnect();
  });

  test('kill and restart: empty without persistence, intact with appendOnly', async () => {
    await using plain = await startRedisServer();
    await using durable = await startRedisServer({ appendOnly: true });
    for (const server of [plain, durable]) {
      const client = connect(server.socket);
      await client.set('k', 'v', 'PX', 60_000);
      client.disconnect();
      const before = server.pid;
      await server.restart();
      assert.notEqual(server.pid, before);
      const again = connect(server.socket);
      assert.equal(await again.get('k'), server === durable ? 'v' : null);
      again.disconnect();
    }
  });

  test('pause freezes the server and resume brings it back', async () => {
    await using server = await startRedisServer();
    const client = new Redis({ path: server.socket, commandTimeout: 100, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    assert.equal(await client.ping(), 'PONG');
    server.pause();
    await assert.rejects(client.ping(), /timed out/i);
    server.resume();
    assert.equal(await client.ping(), 'PONG');
    client.disconnect();
  });

  test('a missing redis-server fails with an install hint', async () => {
    await assert.rejects(startRedisServer({ binary: 'redis-server-that-does-not-exist' }), /apt-get install -y redis-server/);
  });

  test('servers die with the process that started them', async () => {
    const script = fileURLToPath(new URL('../support/spawn-and-exit.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script]);
    const pid = Number(stdout.trim());
    assert.ok(Number.isInteger(pid) && pid > 0);
    await waitForExit(pid);
  });
});
