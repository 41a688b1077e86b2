/** What the demo parent tells a worker process (as JSON in argv) and what the worker reports back. */
export interface WorkerTask {
  readonly mode: 'unlocked' | 'redlock';
  readonly lockUrls: readonly string[];
  readonly stockUrl: string;
  readonly stockKey: string;
  readonly lockName: string;
  /** Simulated business latency between reading and writing the stock, in ms. */
  readonly latencyMs: number;
}

export interface WorkerReport {
  readonly sold: number;
  /** Time from asking for the lock to holding it, per sale, in ms. */
  readonly lockLatencies: readonly number[];
  readonly lockFailures: number;
}
