/**
 * A contender process of the multi-process hot-key rows: builds one library on its own connection
 * and runs bursts or loops when the parent says so (IPC), answering with its records.
 */
import { Redis } from 'ioredis';
import { burst, loop, type HoldMs, type HotKeyRecords } from './hot-key.js';
import { openLibrary, type LibrarySpec } from './hot-key-libraries.js';

interface Task {
  /** One socket per node. */
  readonly sockets: readonly string[];
  readonly holdMs?: HoldMs;
  readonly spec: LibrarySpec;
  readonly key: string;
  readonly contenders: number;
  readonly proc: number;
}

type Command = { readonly run: 'burst' } | { readonly run: 'loop'; readonly until: number } | { readonly run: 'close' };

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const clients = task.sockets.map((path) => new Redis({ path }));
const lib = await openLibrary(task.spec, clients, task.proc);
const send = (message: unknown): void => {
  process.send?.(message);
};

process.on('message', (command: Command) => {
  if (command.run === 'close') {
    void lib.close().finally(() => {
      for (const client of clients) client.disconnect();
      process.disconnect();
    });
    return;
  }
  const records: Promise<HotKeyRecords> =
    command.run === 'burst' ? burst(lib, task.key, task.contenders, task.proc) : loop(lib, task.key, task.contenders, task.proc, command.until, task.holdMs);
  void records.then((r) => send({ records: r }));
});
send({ ready: true });
