import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startRedisServers, stopRedisServers, type RedisServer } from 'redsync-ts/testing';
import { fencingWithPostgres } from '../../src/fencing-postgres.js';
import { fencingWithRedis } from '../../src/fencing-redis.js';
import { runNightlyJob } from '../../src/nightly-job.js';
import { demoMetrics } from '../../src/observability.js';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const database: pg.ClientConfig = { host: process.env['PGHOST'] ?? '/var/run/postgresql', database: process.env['PGDATABASE'] ?? 'test', user: process.env['PGUSER'] ?? 'postgres' };

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client(database);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('examples', () => {
  let servers: RedisServer[];
  before(async () => {
    servers = await startRedisServers(3);
  });
  after(() => stopRedisServers(servers));

  test('fencing-postgres: the stale holder\'s UPDATE is refused, the current one\'s applied', async (t) => {
    if (!(await postgresReachable())) {
      t.skip('PostgreSQL is not reachable (PGHOST/PGDATABASE, default: unix socket, database test)');
      return;
    }
    const outcome = await fencingWithPostgres(servers.map((s) => s.url), database);
    assert.ok(outcome.currentFence > outcome.staleFence);
    assert.equal(outcome.currentWriteAccepted, true);
    assert.equal(outcome.staleWriteAccepted, false);
    assert.equal(outcome.finalStock, 9);
  });

  test('fencing-redis: only the current holder\'s write lands', async () => {
    const outcome = await fencingWithRedis(servers.map((s) => s.url), `example:${String(Date.now())}`);
    assert.deepEqual(outcome, { accepted: 'current', stored: 'written by the current holder' });
  });

  test('nightly-job: exactly one replica runs the job, holding the lock past its ttl', async () => {
    const outcomes = await runNightlyJob(servers.map((s) => s.url), 4, `nightly-${String(Date.now())}`);
    assert.deepEqual(outcomes.filter((o) => o === 'ran').length, 1);
    assert.deepEqual(outcomes.filter((o) => o === 'skipped').length, 3);
  });

  test('observability: spans for lock calls, Prometheus wait and hold times, cache gets per prefix', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    try {
      const text = await demoMetrics(servers.map((s) => s.url));
      assert.match(text, /redsync_lock_wait_seconds_count\{outcome="acquired"\} 5/);
      assert.match(text, /redsync_lock_hold_seconds_count\{name="report"\} 5/);
      assert.match(text, /redsync_cache_gets_total\{prefix="cache",outcome="miss"\} 1/);
      assert.match(text, /redsync_cache_gets_total\{prefix="cache",outcome="hit"\} 3/);
      const names = exporter.getFinishedSpans().map((span) => span.name);
      assert.equal(names.filter((name) => name === 'redsync acquire').length, 5);
      // 5 of the lock, and the cache's fill lock for its one miss (taken with tryAcquire).
      assert.equal(names.filter((name) => name === 'redsync release').length, 6);
      assert.equal(names.filter((name) => name === 'redsync tryAcquire').length, 1);
    } finally {
      trace.disable();
    }
  });
});
