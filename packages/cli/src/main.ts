#!/usr/bin/env node
/**
 * The `redsync` command. For now it runs the demo; the lock runner and stats come later.
 * Exit codes follow sysexits: 64 for usage errors, 70 for internal failures.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo/run-demo.js';

const USAGE = `usage: redsync demo [--redis URL ...] [--workers N] [--stock N] [--latency MS]

  demo    sell from one stock record with several processes, without and with a Redlock.
          With no --redis, starts 5 temporary redis-server processes (and 1 for the stock)
          and stops them afterwards.

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
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new RangeError(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        redis: { type: 'string', multiple: true },
        workers: { type: 'string' },
        stock: { type: 'string' },
        latency: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] !== 'demo' || positionals.length > 1) {
    console.error(USAGE);
    return 64;
  }
  let options;
  try {
    options = {
      redis: values.redis ?? [],
      workers: positiveInteger('workers', values.workers, 4),
      stock: positiveInteger('stock', values.stock, 200),
      latencyMs: positiveInteger('latency', values.latency, 2),
      json: values.json === true,
      out: (line: string) => (values.json === true ? console.error(line) : console.log(line)),
    };
  } catch (error) {
    console.error((error as Error).message);
    return 64;
  }
  const results = await runDemo(options);
  if (options.json) console.log(JSON.stringify({ stock: options.stock, workers: options.workers, phases: results }));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 70;
  },
);
