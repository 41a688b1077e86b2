/**
 * `npm run bench:cluster`: lock + unlock on a 3-master Redis Cluster (the test kit's) through one
 * ioredis `Cluster` client, redsync-ts beside a hand-written floor on the same client (`SET NX PX`,
 * then a compare-and-delete script defined with `defineCommand`, which ioredis loads per node) and
 * beside the peers, each given the same Cluster client where it takes an ioredis one: uncontended
 * latency, and 200 workers on keys of their own. Rounds interleave them all; a peer that fails on
 * the Cluster is reported with its error instead of figures.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { Redsync, fromIoredis } from 'redsync-ts';
import { startCluster } from 'redsync-ts/testing';
import { percentile } from '../percentile.js';
import { PEERS, peerLibrary, type LockLibrary } from './libraries.js';

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
const pairOf = (library: LockLibrary): Pair => async (key) => {
  const release = await library.acquire(key);
  await release();
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

/** The contestants that work on the Cluster, and the peers that failed there with their error. */
async function contestants(): Promise<{ pairs: Map<string, Pair>; failed: Map<string, string>; libraries: LockLibrary[] }> {
  const pairs = new Map<string, Pair>([
    ['floor (SET NX PX + defineCommand compare-and-delete)', floor],
    ['redsync-ts', ours],
  ]);
  const failed = new Map<string, string>();
  const libraries: LockLibrary[] = [];
  for (const peer of PEERS) {
    const library = peerLibrary(peer, [client as unknown as Redis], 'default');
    libraries.push(library);
    const pair = pairOf(library);
    // Some peers fail on a Cluster inside promises of their own: those count against the probe.
    let stray: unknown;
    const onStray = (error: unknown): void => {
      stray ??= error;
    };
    process.on('unhandledRejection', onStray);
    try {
      await uncontended(pair, `probe:${peer}`); // also the warm-up
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (stray !== undefined) throw stray instanceof Error ? stray : new Error('a rejection nobody handled', { cause: stray });
      pairs.set(peer, pair);
    } catch (error) {
      failed.set(peer, String(error).split('\n')[0] ?? 'failed');
    } finally {
      process.off('unhandledRejection', onStray);
    }
  }
  return { pairs, failed, libraries };
}

const { pairs, failed, libraries } = await contestants();
try {
  const names = [...pairs.keys()];
  const latencies = new Map(names.map((name) => [name, [] as number[]]));
  const rates = new Map(names.map((name) => [name, [] as number[]]));
  await uncontended(floor, 'warm');
  await uncontended(ours, 'warm');
  // A peer that passed the probe can still fail later inside promises of its own (sesamecare's
  // redlock did, under the 200 workers): it is dropped from the table and reported as failed.
  let running: string | undefined;
  const onStray = (error: unknown): void => {
    if (running === undefined || failed.has(running)) return;
    failed.set(running, `${String(error).split('\n')[0] ?? 'failed'} (an error nobody handled, during the measured rounds)`);
  };
  process.on('unhandledRejection', onStray);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const [i, name] of order.entries()) {
      if (failed.has(name)) continue;
      const pair = pairs.get(name) as Pair;
      running = name;
      try {
        latencies.get(name)?.push(...(await uncontended(pair, `r${String(round)}:${String(i)}`)));
        rates.get(name)?.push(await concurrent(pair, `r${String(round)}:${String(i)}`));
      } catch (error) {
        failed.set(name, `${String(error).split('\n')[0] ?? 'failed'} (during the measured rounds)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50)); // strays of this contestant land here
      running = undefined;
    }
    console.error(`round ${String(round + 1)} of ${String(ROUNDS)} done`);
  }
  process.off('unhandledRejection', onStray);
  const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  const floorName = names[0] as string;
  const floorP50 = percentile(sorted(latencies.get(floorName) ?? []), 50);
  const floorRate = percentile(sorted(rates.get(floorName) ?? []), 50);
  console.log(`| 3-master Cluster, one ioredis Cluster client | uncontended p50 ms | p99 ms | p50 / floor | ${String(WORKERS)} workers: pairs/s (median of rounds) | / floor |`);
  console.log('|---|---|---|---|---|---|');
  for (const name of names.filter((contestant) => !failed.has(contestant))) {
    const times = sorted(latencies.get(name) ?? []);
    const rate = percentile(sorted(rates.get(name) ?? []), 50);
    console.log(`| ${name} | ${percentile(times, 50).toFixed(3)} | ${percentile(times, 99).toFixed(3)} | ${(percentile(times, 50) / floorP50).toFixed(3)}x | ${rate.toFixed(0)} | ${(rate / floorRate).toFixed(3)}x |`);
  }
  for (const [peer, error] of failed) console.log(`| ${peer} | failed on the Cluster: ${error} | | | | |`);
} finally {
  await Promise.all(libraries.map((library) => library.close().catch(() => undefined)));
  await rs.close();
  client.disconnect();
  await cluster.stop();
}
