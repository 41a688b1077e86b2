/**
 * `npm run bench:cluster`: lock + unlock on a 3-master Redis Cluster (the test kit's) through one
 * ioredis `Cluster` client, redsync-ts beside a hand-written floor on the same client (`SET NX PX`,
 * then a compare-and-delete script defined with `defineCommand`, which ioredis loads per node):
 * uncontended latency, and 200 workers on keys of their own. Rounds interleave the two.
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { Redsync, fromIoredis } from 'redsync-ts';
import { startCluster } from 'redsync-ts/testing';
import { percentile } from '../percentile.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const PAIRS = 1000;
const WORKERS = 200;
const DURATION_MS = 1500;
const TTL = 10_000;

type Pair = (key: string) => Promise<void>;

const cluster = await startCluster({ masters: 3 });
const client = new Cluster(cluster.addresses, { enableAutoPipelining: true });
client.defineCommand('floorUnlock', { numberOfKeys: 1, lua: "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0" });
const unlock = (client as unknown as { floorUnlock(key: string, value: string): Promise<unknown> }).floorUnlock.bind(client);

const prefix = randomBytes(6).toString('hex');
let counter = 0;
const floor: Pair = async (key) => {
  const value = `${prefix}${String(++counter)}`;
  if ((await client.set(key, value, 'PX', TTL, 'NX')) !== 'OK') throw new Error('floor: key taken');
  await unlock(key, value);
};
const rs = new Redsync([fromIoredis(client)], { ttl: TTL, tries: 1 });
const ours: Pair = async (key) => {
  const lock = await rs.mutex(key).acquire();
  await lock.release();
};

async function uncontended(pair: Pair, label: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const start = performance.now();
    await pair(`bench:cluster:${label}:${String(i % 50)}`);
    times.push(performance.now() - start);
  }
  return times;
}

async function concurrent(pair: Pair, label: string): Promise<number> {
  let pairs = 0;
  const until = performance.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      while (performance.now() < until) {
        await pair(`bench:cluster:${label}:w${String(w)}`);
        pairs += 1;
      }
    }),
  );
  return pairs / (DURATION_MS / 1000);
}

try {
  const latencies = { floor: [] as number[], ours: [] as number[] };
  const rates = { floor: [] as number[], ours: [] as number[] };
  await uncontended(floor, 'warm');
  await uncontended(ours, 'warm');
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['floor', 'ours'] as const) : (['ours', 'floor'] as const);
    for (const which of order) {
      const pair = which === 'floor' ? floor : ours;
      latencies[which].push(...(await uncontended(pair, which)));
      rates[which].push(await concurrent(pair, which));
    }
    console.error(`round ${String(round + 1)} of ${String(ROUNDS)} done`);
  }
  const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 50);
  const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
  console.log(`| 3-master Cluster, one ioredis Cluster client | uncontended p50 ms | p99 ms | p50 / floor | ${String(WORKERS)} workers: pairs/s (median of rounds) | / floor |`);
  console.log('|---|---|---|---|---|---|');
  for (const which of ['floor', 'ours'] as const) {
    const p50 = percentile(sorted(latencies[which]), 50);
    const rate = median(rates[which]);
    console.log(`| ${which === 'floor' ? 'floor (SET NX PX + defineCommand compare-and-delete)' : 'redsync-ts'} | ${p50.toFixed(3)} | ${percentile(sorted(latencies[which]), 99).toFixed(3)} | ${(p50 / percentile(sorted(latencies.floor), 50)).toFixed(3)}x | ${rate.toFixed(0)} | ${(rate / median(rates.floor)).toFixed(3)}x |`);
  }
} finally {
  await rs.close();
  client.disconnect();
  await cluster.stop();
}
