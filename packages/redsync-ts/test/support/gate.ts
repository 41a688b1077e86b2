/** A promise and its resolver, for loaders the test releases. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A loader the test holds: `started` resolves once it is called, and it returns what `open` gives. */
export function heldLoader<T>(): { load: () => Promise<T>; started: Promise<void>; open: (value: T) => void } {
  const release = gate<T>();
  const called = gate<undefined>();
  return {
    load: () => {
      called.open(undefined);
      return release.promise;
    },
    started: called.promise,
    open: release.open,
  };
}

/**
 * Gets `key` through `filler`, whose loader is held, then through `waiter` (whose loader must not
 * run); once `listening` resolves (the waiter is parked), lets the loader return `value`. Resolves
 * to both callers' values.
 */
export async function fillBeside<T>(
  filler: { get(key: string, loader: () => Promise<T>): Promise<T | undefined> },
  waiter: { get(key: string, loader: () => Promise<T>): Promise<T | undefined> },
  key: string,
  value: T,
  listening: () => Promise<unknown>,
): Promise<(T | undefined)[]> {
  const loader = heldLoader<T>();
  const filling = filler.get(key, loader.load);
  await loader.started;
  const waiting = waiter.get(key, () => Promise.reject(new Error('the waiter must not load')));
  await listening();
  loader.open(value);
  return Promise.all([filling, waiting]);
}
