/**
 * redlock 5.0.0-beta.2 ships typings its package.json "exports" does not expose to NodeNext
 * resolution; this declares the part the benchmark uses.
 */
declare module 'redlock' {
  interface RedlockLock {
    release(): Promise<unknown>;
  }
  interface RedlockSettings {
    readonly retryCount?: number;
    readonly retryDelay?: number;
    readonly retryJitter?: number;
  }
  export default class Redlock {
    constructor(clients: Iterable<unknown>, settings?: RedlockSettings);
    acquire(resources: string[], duration: number): Promise<RedlockLock>;
    on(event: 'error', listener: (error: unknown) => void): this;
  }
}
