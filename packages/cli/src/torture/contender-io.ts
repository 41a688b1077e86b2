/** What every contender process shares: its task, its IPC with the parent, and how it reports when done. */
import type { ContenderCommand, ContenderReport, ContenderStatus } from './history.js';

/** What the parent gives every contender process (as JSON in argv[2]). */
export interface ContenderTask {
  readonly proc: number;
  readonly lockUrls: readonly string[];
  readonly resourceUrl: string;
  readonly name: string;
  readonly ttl: number;
  readonly workMs: number;
  readonly maxAcquisitions: number;
}

/** Tells the parent something, while the IPC channel is open. */
export function tell(status: ContenderStatus): void {
  if (process.connected) process.send?.(status);
}

/** Says it is ready, and resolves with the end of the run once the parent starts it. */
export function startSignal(): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (command: ContenderCommand): void => {
      if (!('start' in command)) return;
      process.off('message', onMessage);
      resolve(command.start);
    };
    process.on('message', onMessage);
    tell({ ready: true });
  });
}

/** Runs the contender: prints its report as one JSON line and exits 0, or exits 1 on a defect. */
export function runContender(main: () => Promise<ContenderReport>): void {
  main().then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
