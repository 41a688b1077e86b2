/** `redsync demo`: its command line, and the run. */
import { UsageError, parseOrUsage } from '../cli-args.js';
import { runDemo } from './run-demo.js';

export const DEMO_USAGE = `usage: redsync demo [--redis URL ...] [--workers N] [--stock N] [--latency MS] [--json]

  Sell from one stock record with several processes, without and with a Redlock; then a cache
  scene (a cold key behind a slow database, without and with rs.cache). With no --redis, starts
  5 temporary redis-server processes (and 1 for the stock) and stops them afterwards.

options:
  --redis URL     a lock node (redis://host:port or unix:///path); repeat for N nodes.
                  The first one also holds the stock record.
  --workers N     worker processes (default 4)
  --stock N       units in stock (default 200)
  --latency MS    business latency between reading and writing the stock (default 2)
  --json          print the results as one JSON object on stdout (progress goes to stderr)
  -h, --help      this text`;

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

/** Runs `redsync demo` with `argv` (after the command name). @throws UsageError */
export async function demoCommand(argv: string[]): Promise<number> {
  const parsed = parseOrUsage({
      args: argv,
      options: {
        redis: { type: 'string', multiple: true },
        workers: { type: 'string' },
        stock: { type: 'string' },
        latency: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  const { values } = parsed;
  if (values.help === true) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const options = {
    redis: values.redis ?? [],
    workers: positiveInteger('workers', values.workers, 4),
    stock: positiveInteger('stock', values.stock, 200),
    latencyMs: positiveInteger('latency', values.latency, 2),
    json: values.json === true,
    out: (line: string) => (values.json === true ? console.error(line) : console.log(line)),
  };
  const results = await runDemo(options);
  if (options.json) console.log(JSON.stringify({ stock: options.stock, workers: options.workers, phases: results }));
  return 0;
}
