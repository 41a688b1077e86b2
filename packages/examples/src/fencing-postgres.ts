/**
 * Fencing tokens guarding a PostgreSQL row. Holder A takes the lock, then stalls past its ttl (a
 * GC pause, a slow network call). Holder B takes over with a higher fence and writes. When A wakes
 * up and writes, the row's fence check rejects it: the database, not the lock, has the last word.
 *
 *   node dist/fencing-postgres.js        (starts 3 temporary redis-servers; needs PostgreSQL)
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Redsync } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { connectNodes } from './connect.js';

/**
 * The resource side: write only when our token is at least the row's. `<=`, not `<`: the current
 * holder may write several times with its token; any older holder is refused. Atomic, because the
 * check and the write are one UPDATE.
 */
export async function fencedUpdate(db: pg.ClientBase, sku: string, stock: number, fence: number): Promise<boolean> {
  const result = await db.query('UPDATE redsync_example_inventory SET stock = $2, fence = $3 WHERE sku = $1 AND fence <= $3', [sku, stock, fence]);
  return result.rowCount === 1;
}

export interface FencingOutcome {
  readonly staleFence: number;
  readonly currentFence: number;
  readonly currentWriteAccepted: boolean;
  readonly staleWriteAccepted: boolean;
  readonly finalStock: number;
}

export async function fencingWithPostgres(lockUrls: readonly string[], database: pg.ClientConfig): Promise<FencingOutcome> {
  const redis = await connectNodes(lockUrls);
  const db = new pg.Client(database);
  await db.connect();
  try {
    await db.query('CREATE TABLE IF NOT EXISTS redsync_example_inventory (sku text PRIMARY KEY, stock int NOT NULL, fence bigint NOT NULL DEFAULT 0)');
    const sku = `sku-${String(process.pid)}-${String(Date.now())}`;
    await db.query('INSERT INTO redsync_example_inventory (sku, stock) VALUES ($1, 10)', [sku]);
    // A short ttl keeps the demo quick; a 30 ms per-node timeout (the default 1% would be 3 ms)
    // keeps it from failing on a busy machine.
    const mutex = new Redsync(redis.nodes, { fencing: true, ttl: 300, timeoutFactor: 0.1 }).mutex(`inventory:${sku}`);

    const stale = await mutex.acquire();
    const staleRead = 10;
    await once(stale.signal, 'abort'); // A "stalls" until its lock has run out

    const current = await mutex.acquire();
    const currentWriteAccepted = await fencedUpdate(db, sku, staleRead - 1, current.fence ?? 0);
    const staleWriteAccepted = await fencedUpdate(db, sku, staleRead - 1, stale.fence ?? 0);
    await current.release();

    const { rows } = await db.query<{ stock: number }>('SELECT stock FROM redsync_example_inventory WHERE sku = $1', [sku]);
    await db.query('DELETE FROM redsync_example_inventory WHERE sku = $1', [sku]);
    return {
      staleFence: stale.fence ?? 0,
      currentFence: current.fence ?? 0,
      currentWriteAccepted,
      staleWriteAccepted,
      finalStock: rows[0]?.stock ?? Number.NaN,
    };
  } finally {
    await db.end();
    redis.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const servers = await startRedisServers(3);
  try {
    const outcome = await fencingWithPostgres(
      servers.map((s) => s.url),
      { host: process.env['PGHOST'] ?? '/var/run/postgresql', database: process.env['PGDATABASE'] ?? 'test', user: process.env['PGUSER'] ?? 'postgres' },
    );
    // eslint-disable-next-line no-console -- a runnable example prints its outcome
    console.log(outcome);
  } finally {
    await stopRedisServers(servers);
  }
}
