/**
 * The no-contention scenarios: every library alternately on the same clients, round after round,
 * so all see the same machine state; figures are medians over rounds.
 */
import type { Redis } from 'ioredis';
import { PEERS, floorLibrary, peerLibrary, redsyncLibrary, type LockLibrary } from './libraries.js';

/**
 * The floor, redsync-ts (one mutex reused, and a mutex with its options built per call, as a
 * handler would), and every peer with its defaults (without contention, tuning is moot).
 */
export async function uncontendedLibraries(clients: readonly Redis[]): Promise<LockLibrary[]> {
  return [
    await floorLibrary(clients),
    redsyncLibrary(clients, false),
    redsyncLibrary(clients, false, { optionsPerCall: true }),
    ...PEERS.map((peer) => peerLibrary(peer, clients, 'default')),
  ];
}

/** Sequential lock+unlock pairs on one key; returns each pair's latency in ms. */
export async function sequentialPairs(lib: LockLibrary, key: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const release = await lib.acquire(key);
    await release();
    latencies.push(performance.now() - start);
  }
  return latencies;
}

export interface ConcurrentResult {
  readonly pairsPerSecond: number;
  readonly cpuMicrosPerPair: number;
  readonly failures: number;
}

/** `workers` concurrent loops on distinct keys for `durationMs`; returns pairs/s and CPU µs per pair. */
export async function concurrentPairs(lib: LockLibrary, prefix: string, workers: number, durationMs: number): Promise<ConcurrentResult> {
  const deadline = performance.now() + durationMs;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let pairs = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const key = `${prefix}:${String(w)}`;
      while (performance.now() < deadline) {
        try {
          const release = await lib.acquire(key);
          await release();
          pairs += 1;
        } catch {
          failures += 1; // a library that fails without contention is reported, not fatal
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { pairsPerSecond: pairs / (elapsed / 1000), cpuMicrosPerPair: (cpu.user + cpu.system) / Math.max(1, pairs), failures };
}
