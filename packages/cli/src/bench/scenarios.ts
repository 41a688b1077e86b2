/**
 * Benchmark scenarios. Each one runs the floor and the library alternately in the same process,
 * round after round, so that both see the same machine state; figures are medians over rounds.
 */
import type { Redis } from 'ioredis';
import { Redsync, fromIoredis } from 'redsync-ts';
import { createFloor } from './floor.js';

export interface Contender {
  readonly name: string;
  /** One lock + unlock of `key`; throws when the lock was not obtained. */
  pair(key: string): Promise<void>;
}

export async function contenders(clients: readonly Redis[], ttl: number): Promise<Contender[]> {
  const floor = await createFloor(clients, ttl);
  const rs = new Redsync(clients.map((c) => fromIoredis(c)), { ttl, tries: 1 });
  return [
    {
      name: 'floor',
      async pair(key) {
        const value = await floor.lock(key);
        if (value === undefined) throw new Error('floor lock not obtained');
        await floor.unlock(key, value);
      },
    },
    {
      name: 'redsync-ts',
      async pair(key) {
        const lock = await rs.mutex(key).acquire();
        await lock.release();
      },
    },
  ];
}

/** Sequential lock+unlock pairs on one key; returns each pair's latency in ms. */
export async function sequentialPairs(contender: Contender, key: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await contender.pair(key);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

/** `workers` concurrent loops on distinct keys for `durationMs`; returns pairs/s and CPU µs per pair. */
export async function concurrentPairs(
  contender: Contender,
  prefix: string,
  workers: number,
  durationMs: number,
): Promise<{ pairsPerSecond: number; cpuMicrosPerPair: number }> {
  const deadline = performance.now() + durationMs;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let pairs = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const key = `${prefix}:${w}`;
      while (performance.now() < deadline) {
        await contender.pair(key);
        pairs += 1;
      }
    }),
  );
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { pairsPerSecond: pairs / (elapsed / 1000), cpuMicrosPerPair: (cpu.user + cpu.system) / pairs };
}
