/** Why a cache call failed; `code` is stable, for programs. */
export type CacheErrorCode = 'CACHE_TIMEOUT' | 'CACHE_STORE' | 'CACHE_FILL_FAILED';

/** Base class of the cache's own errors (a loader's error reaches its callers as it is). */
export class CacheError extends Error {
  override name = 'CacheError';
  readonly code: CacheErrorCode;

  /** @internal */
  constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A caller's `timeout` (or the fill's `fillTimeout`) ran out before a value arrived. */
export class CacheTimeoutError extends CacheError {
  override name = 'CacheTimeoutError';

  /** @internal */
  constructor(message: string) {
    super('CACHE_TIMEOUT', message);
  }
}

/** The store could not be reached or answered with an error (`onStoreError: 'throw'`). */
export class CacheStoreError extends CacheError {
  override name = 'CacheStoreError';

  /** @internal */
  constructor(message: string, cause?: unknown) {
    super('CACHE_STORE', message, cause === undefined ? undefined : { cause });
  }
}

/**
 * The loader of the fill this caller waited for failed in another process. Its message carries
 * that error's name and message (the error object itself stayed in that process).
 */
export class CacheFillError extends CacheError {
  override name = 'CacheFillError';

  /** @internal */
  constructor(remote: string) {
    super('CACHE_FILL_FAILED', `the loader failed in the process that filled this key: ${remote}`);
  }
}
