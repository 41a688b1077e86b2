/**
 * Every lock library in the benchmark behind one shape: `acquire(key)` resolves with a release
 * function, or rejects when the library gave up. Each peer runs with its defaults and "tuned"
 * (10 ms between attempts and enough attempts not to give up), as a user chasing latency would.
 */
import type { Redis } from 'ioredis';
import { Redlock as SesameRedlock } from '@sesamecare-oss/redlock';
import { Mutex as SemaphoreMutex, RedlockMutex as SemaphoreRedlockMutex } from 'redis-semaphore';
import Redlock from 'redlock';
import { IoredisAdapter, createLock, createRedlock, type Lock as UniversalLock } from 'redlock-universal';
import { Redsync, fromIoredis } from 'redsync-ts';
import { createFloor } from './floor.js';

export type Release = () => Promise<unknown>;

export interface LockLibrary {
  readonly name: string;
  acquire(key: string): Promise<Release>;
  /** Closes what the library opened (not the clients). */
  close(): Promise<void>;
}

export type Variant = 'default' | 'tuned';
export const TTL = 10_000;
/** Attempts that outlast any hot-key run: a tuned peer waits rather than gives up. */
const MANY = 100_000;

export const PEERS = ['redlock 5.0.0-beta.2', '@sesamecare-oss/redlock 1.4.0', 'redis-semaphore 5.8.0', 'redlock-universal 0.8.5'] as const;
export type PeerName = (typeof PEERS)[number];

export async function floorLibrary(clients: readonly Redis[]): Promise<LockLibrary> {
  const floor = await createFloor(clients, TTL);
  return {
    name: 'floor',
    async acquire(key) {
      const value = await floor.lock(key);
      if (value === undefined) throw new Error('floor lock not obtained');
      return () => floor.unlock(key, value);
    },
    close: () => Promise.resolve(),
  };
}

/** How a redsync-ts row differs from the plain one. */
export interface RedsyncVariant {
  /** A fixed retry delay instead of the default 50-250 ms. */
  readonly retryDelay?: number;
  /** Without release notifications: it polls, as go-redsync does (same default delays). */
  readonly deaf?: boolean;
  /** The pattern users write: `rs.mutex(key, { ttl })`, with a new options object per call. */
  readonly optionsPerCall?: boolean;
  /** `rs.fairLock(key)`: served in request order, handed over in one hop by the release script. */
  readonly fair?: boolean;
}

/** The row's name for a variant. */
export function redsyncName(variant: RedsyncVariant = {}): string {
  if (variant.deaf === true) return 'polling redsync-ts (go-redsync-like)';
  if (variant.retryDelay !== undefined) return `redsync-ts (retryDelay ${String(variant.retryDelay)} ms)`;
  if (variant.optionsPerCall === true) return 'redsync-ts (mutex + options per call)';
  if (variant.fair === true) return 'redsync-ts fair lock';
  return 'redsync-ts';
}

/** redsync-ts; `tries: 1` for the no-contention rows (a failed attempt there is a bug). */
export function redsyncLibrary(clients: readonly Redis[], contended: boolean, variant: RedsyncVariant = {}): LockLibrary {
  const nodes = clients.map((c) => {
    const node = fromIoredis(c);
    return variant.deaf === true ? { setNX: node.setNX.bind(node), evalsha: node.evalsha.bind(node), eval: node.eval.bind(node) } : node;
  });
  const delay = variant.retryDelay === undefined ? {} : { retryDelay: variant.retryDelay };
  const rs = new Redsync(nodes, contended ? { ttl: TTL, tries: MANY, ...delay } : { ttl: TTL, tries: 1 });
  const perCall = variant.optionsPerCall === true;
  return {
    name: redsyncName(variant),
    async acquire(key) {
      if (variant.fair === true) {
        const hold = await rs.fairLock(key).acquire();
        return () => hold.release();
      }
      // The per-call row builds what a handler would: a mutex with its own options object.
      const lock = await (perCall ? rs.mutex(key, { ttl: TTL }) : rs.mutex(key)).acquire();
      return () => lock.release();
    },
    close: () => rs.close(),
  };
}

export function peerLibrary(peer: PeerName, clients: readonly Redis[], variant: Variant): LockLibrary {
  const tuned = variant === 'tuned';
  const name = `${peer}${tuned ? ' (tuned)' : ''}`;
  const done = (): Promise<void> => Promise.resolve();
  switch (peer) {
    case 'redlock 5.0.0-beta.2':
    case '@sesamecare-oss/redlock 1.4.0': {
      const settings = tuned ? { retryCount: MANY, retryDelay: 10, retryJitter: 5 } : {};
      // Both take ioredis clients; their typings pin ioredis 5, whose client class differs only in name.
      const redlock = peer === 'redlock 5.0.0-beta.2' ? new Redlock(clients as never, settings) : new SesameRedlock(clients as never, settings);
      redlock.on('error', () => undefined); // it emits every failed vote as an 'error'
      return {
        name,
        async acquire(key) {
          const lock = await redlock.acquire([key], TTL);
          return () => lock.release();
        },
        close: done,
      };
    }
    case 'redis-semaphore 5.8.0': {
      // Its default is already 10 ms between attempts, 10 s before giving up.
      const options = { lockTimeout: TTL, refreshInterval: 0, ...(tuned ? { retryInterval: 10, acquireTimeout: 600_000 } : {}) };
      return {
        name,
        async acquire(key) {
          const mutex = clients.length === 1 ? new SemaphoreMutex(clients[0] as never, key, options) : new SemaphoreRedlockMutex(clients as never, key, options);
          await mutex.acquire();
          return () => mutex.release();
        },
        close: done,
      };
    }
    case 'redlock-universal 0.8.5': {
      const adapters = clients.map((c) => new IoredisAdapter(c as never));
      const locks = new Map<string, UniversalLock>();
      const retry = tuned ? { retryAttempts: MANY, retryDelay: 10 } : {};
      const lockFor = (key: string): UniversalLock => {
        let lock = locks.get(key);
        if (lock === undefined) {
          lock = adapters.length === 1 ? createLock({ adapter: adapters[0] as IoredisAdapter, key, ttl: TTL, ...retry }) : createRedlock({ adapters, key, ttl: TTL, ...retry });
          locks.set(key, lock);
        }
        return lock;
      };
      return {
        name,
        async acquire(key) {
          const lock = lockFor(key);
          const handle = await lock.acquire();
          return () => lock.release(handle);
        },
        close: done,
      };
    }
  }
}
