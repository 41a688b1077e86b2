import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { connectAll } from '../../src/connect.js';

test('a wrong password: the server\'s error and the URL, never the password', { timeout: 20_000 }, async () => {
  const servers = await startRedisServers(1, { tcp: true, config: { requirepass: 'right-one' } });
  try {
    const url = `redis://:not-the-password@127.0.0.1:${String(servers[0]?.port)}`;
    const error = await connectAll([url]).catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /^cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/);
    assert.doesNotMatch(error.message, /not-the-password/);
  } finally {
    await stopRedisServers(servers);
  }
});
