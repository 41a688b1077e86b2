/** `redsync inspect`: its usage text and entry point. */
import { UsageError, nodeUrls, parseOrUsage } from '../cli-args.js';
import { connectAll } from '../connect.js';
import { describeInspection, inspectLock } from './inspect.js';

export const INSPECT_USAGE = `usage: redsync inspect [--redis URL ...] [--prefix P] [--json] NAME

  Shows the lock NAME on every node: whether its key exists and for how long, a masked holder
  value, the fencing counter, the waiting flag and the processes subscribed to its release;
  then a verdict. Reads only; changes nothing.

options:
  --redis URL     a lock node (repeat for N nodes); default REDSYNC_URLS, else redis://127.0.0.1:6379
  --prefix P      key prefix (default none)
  --json          one JSON object on stdout
  -h, --help      this text`;

/** Runs `redsync inspect` with `argv` (after the command name). @throws UsageError */
export async function inspectCommand(argv: string[]): Promise<number> {
  const parsed = parseOrUsage({ args: argv, allowPositionals: true, options: { redis: { type: 'string', multiple: true }, prefix: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(INSPECT_USAGE);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || name === '' || extra.length > 0) throw new UsageError(name === undefined ? 'missing NAME' : 'one NAME only');
  const urls = nodeUrls(values.redis, process.env);
  let clients;
  try {
    clients = await connectAll(urls);
  } catch (error) {
    console.error(`redsync inspect: ${(error as Error).message}`);
    return 69;
  }
  try {
    const inspection = await inspectLock(clients, urls, name, values.prefix ?? '');
    console.log(values.json === true ? JSON.stringify(inspection) : describeInspection(inspection).join('\n'));
    return 0;
  } finally {
    for (const client of clients) client.disconnect();
  }
}
