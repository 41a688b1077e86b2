import { CacheTimeoutError } from './errors.js';

/**
 * A caller's own bounds on a fill it shares with others: its signal and its timeout end its wait
 * only (rejecting with the signal's reason or a `CacheTimeoutError`); the fill goes on for the
 * other callers. Without either, the fill's promise itself.
 */
export function withCallerLimits<T>(flight: Promise<T>, signal?: AbortSignal, timeout?: number): Promise<T> {
  if (signal === undefined && timeout === undefined) return flight;
  return new Promise((resolve, reject) => {
    const timer = timeout === undefined ? undefined : setTimeout(() => finish(() => reject(new CacheTimeoutError(`no value within the caller's timeout of ${String(timeout)} ms`))), timeout);
    const onAbort = (): void => finish(() => reject(signal?.reason as Error));
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    flight.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
