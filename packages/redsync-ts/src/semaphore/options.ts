import { checkBoolean, checkDelay, checkInteger, checkOptionsObject, checkSignal } from '../validate.js';
import type { SemaphoreMode } from './plan.js';

/** Options of `rs.semaphore(name, options)`. */
export interface SemaphoreOptions {
  /** Permits that may be held at once (see `mode` for several nodes). */
  readonly limit: number;
  /**
   * How long a permit lasts unless extended, in ms: a crashed holder's permit comes back then.
   * @default the Redsync's lock ttl (8,000 ms unless set)
   */
  readonly ttl?: number;
  /**
   * How permits are counted on several nodes (ignored on one): `'all'` every node must admit
   * (exactly `limit`; no permit while a node is down), `'quorum'` a majority must admit, with a
   * smaller per-node limit (see `Semaphore.effectiveLimit` and docs/primitives.md).
   * @default 'all'
   */
  readonly mode?: SemaphoreMode;
  /**
   * Renew each hold every `ttl * autoExtendFactor` ms (the Redsync's factor) on the process's
   * lease keeper, until it is released or lost; a renewal that fails is retried with backoff while
   * validity is left. Its `signal` aborts when it is lost.
   * @default false
   */
  readonly autoExtend?: boolean;
}

/** Options of `semaphore.acquire()`. */
export interface PermitWaitOptions {
  /** Stops waiting (rejecting with the signal's reason). */
  readonly signal?: AbortSignal;
  /**
   * Gives up after this many ms with a `LockTakenError` (`timedOut: true`).
   * @default no limit: waits until a permit comes free or `signal` aborts
   */
  readonly timeout?: number;
}

/** @internal Validated semaphore options. */
export interface ResolvedSemaphoreOptions {
  readonly limit: number;
  readonly ttl: number | undefined;
  readonly mode: SemaphoreMode;
  readonly autoExtend: boolean;
}

/** @throws TypeError / RangeError naming the bad option, before any I/O. */
export function resolveSemaphoreOptions(options: unknown): ResolvedSemaphoreOptions {
  if (options === undefined) throw new TypeError('options must be an object with a limit, got undefined');
  const record = checkOptionsObject('options', options, ['limit', 'ttl', 'mode', 'autoExtend']);
  const limit = checkInteger('options.limit', record['limit'], 1, 1_000_000);
  const ttl = record['ttl'] === undefined ? undefined : checkInteger('options.ttl', record['ttl'], 1, 2_147_483_647);
  const mode = record['mode'] ?? 'all';
  if (mode !== 'all' && mode !== 'quorum') throw new TypeError(`options.mode must be 'all' or 'quorum', got ${typeof mode === 'string' ? `'${mode}'` : typeof mode}`);
  const autoExtend = record['autoExtend'] === undefined ? false : checkBoolean('options.autoExtend', record['autoExtend']);
  return { limit, ttl, mode, autoExtend };
}

/** @throws TypeError / RangeError naming the bad option, before any I/O. */
export function resolveWaitOptions(options: unknown): { signal: AbortSignal | undefined; timeout: number | undefined } {
  if (options === undefined) return { signal: undefined, timeout: undefined };
  const record = checkOptionsObject('options', options, ['signal', 'timeout']);
  return { signal: checkSignal('options.signal', record['signal']), timeout: record['timeout'] === undefined ? undefined : checkDelay('options.timeout', record['timeout']) };
}

