import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { LockNotAcquiredError, Redsync, fromIoredis, fromNodeRedis } from '../../src/index.js';
import { startRedisServer, type RedisServer } from '../../src/testing/index.js';
import { hasOpenssl, makeCertificates, type TestCertificates } from '../support/certificates.js';

describe('TLS-only redis-server', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let certs: TestCertificates;
  let server: RedisServer;
  before(async () => {
    certs = makeCertificates();
    server = await startRedisServer({ tls: certs });
  });
  after(async () => {
    await server.dispose();
    certs.remove();
  });

  test('with the CA, ioredis and node-redis take and release locks over TLS', async () => {
    assert.match(server.url, /^rediss:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(certs.ca);
    const io = new Redis({ host: '127.0.0.1', port: server.port ?? 0, tls: { ca }, lazyConnect: true });
    await io.connect();
    const nr = createClient({ socket: { host: '127.0.0.1', port: server.port ?? 0, tls: true, ca } });
    nr.on('error', () => undefined);
    await nr.connect();
    try {
      for (const node of [fromIoredis(io), fromNodeRedis(nr)]) {
        const lock = await new Redsync([node]).mutex(`tls:${String(Math.random())}`).acquire();
        assert.equal(await lock.release(), true);
      }
    } finally {
      io.disconnect();
      nr.destroy();
    }
  });

  test('without the CA the connection fails closed: no lock, no plaintext fallback', async () => {
    const io = new Redis({ host: '127.0.0.1', port: server.port ?? 0, tls: {}, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    io.on('error', () => undefined);
    await assert.rejects(io.connect());
    // Why: the server's certificate is not trusted without the CA (checked on a bare TLS socket).
    const verdict = await new Promise<string>((resolve) => {
      const socket = connectTls({ host: '127.0.0.1', port: server.port ?? 0 }, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    assert.match(verdict, /CERT|SIGNATURE/);
    await assert.rejects(new Redsync([fromIoredis(io)], { tries: 1 }).mutex('tls:closed').acquire(), LockNotAcquiredError);
    io.disconnect();
    const plain = new Redis({ host: '127.0.0.1', port: server.port ?? 0, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    plain.on('error', () => undefined);
    await assert.rejects(plain.connect().then(() => plain.ping()));
    plain.disconnect();
  });
});
