import { checkDelay, checkFunction, checkInteger, checkOptionsObject, describeValue } from '../validate.js';
import type { FillRequest, FillResult } from './fill.js';
import type { EntryPolicy } from './options.js';

/** Loads one key for `cache.warm`. */
export type WarmLoader<T> = (key: string, signal: AbortSignal) => Promise<T | undefined> | T | undefined;

/** Options of `cache.warm`. */
export interface WarmOptions {
  /**
   * The batch's ttls are staggered over this many ms: key i of n lives `ttl + spread * i / n`
   * (then jittered), so a warmed batch does not expire at one instant.
   * @default a quarter of the ttl
   */
  readonly spread?: number;
  /**
   * Loaders running at once in this process.
   * @default 8
   */
  readonly concurrency?: number;
}

/** What `cache.warm` did. */
export interface WarmResult {
  /** Keys this process loaded and wrote. */
  readonly loaded: number;
  /** Keys left alone: fresh already, or another warmer (or filler) had them. */
  readonly skipped: number;
  /** Keys whose loader failed (counted in the cache's `errors`). */
  readonly failed: number;
}

/** @internal The cache's side of a warm-up. */
export interface WarmTarget<T> {
  key(key: string): string;
  fill(request: FillRequest<T>): Promise<FillResult<T>>;
}

/** Runs a warm-up: validates everything first, then fills each key only if its fill lock is free. */
export async function warmKeys<T>(keys: readonly string[], loader: WarmLoader<T>, options: WarmOptions | undefined, policy: EntryPolicy, target: WarmTarget<T>): Promise<WarmResult> {
  if (!Array.isArray(keys)) throw new TypeError(`keys must be an array of strings, got ${describeValue(keys)}`);
  const entryKeys = keys.map((key: unknown, i) => {
    if (typeof key !== 'string') throw new TypeError(`keys[${i}] must be a string, got ${describeValue(key)}`);
    return target.key(key);
  });
  checkFunction('loader', loader);
  const record = checkOptionsObject('options', options, ['spread', 'concurrency']);
  const spread = checkDelay('options.spread', record['spread'] ?? Math.floor(policy.ttl / 4));
  const concurrency = checkInteger('options.concurrency', record['concurrency'] ?? 8, 1, 1024);
  const counts = { loaded: 0, skipped: 0, failed: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < entryKeys.length; i = next++) {
      const ttl = policy.ttl + Math.round((spread * i) / entryKeys.length);
      const key = keys[i] as string;
      const request: FillRequest<T> = { key: entryKeys[i] as string, loader: (signal) => loader(key, signal), policy: { ...policy, ttl }, stale: undefined, onlyIfFree: true };
      try {
        const result = await target.fill(request);
        if (result.source === 'loaded' && result.value !== undefined) counts.loaded += 1;
        else counts.skipped += 1;
      } catch {
        counts.failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entryKeys.length) }, worker));
  return counts;
}
