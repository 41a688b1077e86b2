/** `redsync stats`: the INFO monitor. */
import { UsageError, nodeUrls, parseOrUsage, seconds } from '../cli-args.js';
import { connectAll } from '../connect.js';
import { servePrometheus } from './prometheus.js';
import { chart, sampleTable } from './render.js';
import { takeSample, warningsFor, type Sample } from './sample.js';

export const STATS_USAGE = `usage: redsync stats [--redis URL ...] [--watch [SECONDS]] [--json] [--prometheus [HOST:]PORT]

  Per node and in total: role, version, uptime, clients, ops/s, keyspace hits and misses with the
  hit rate over the interval and since start, memory against maxmemory, the eviction policy,
  evicted and expired keys, keys per db; warnings in plain words (a node that can evict lock
  keys, evictions, lock traffic in the hit rate).

options:
  --redis URL            a node (repeat); default REDSYNC_URLS, else redis://127.0.0.1:6379
  --watch [SECONDS]      sample every SECONDS (default 2) until interrupted; redraws in place with a
                         chart on a terminal, appends plain lines otherwise (or with NO_COLOR)
  --json                 one JSON object per sample on stdout
  --prometheus [HOST:]PORT  serve /metrics (redis_exporter's names) until interrupted
  -h, --help             this text`;

/** Splits argv so that `--watch` may stand alone or take a number. */
function normalise(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--watch') out.push(`--watch=${/^\d+(\.\d+)?$/.test(argv[i + 1] ?? '') ? (argv[++i] as string) : '2'}`);
    else out.push(arg);
  }
  return out;
}

/** Runs `redsync stats` with `argv` (after the command name). @throws UsageError */
export async function statsCommand(argv: string[]): Promise<number> {
  const parsed = parseOrUsage({ args: normalise(argv), options: { redis: { type: 'string', multiple: true }, watch: { type: 'string' }, json: { type: 'boolean' }, prometheus: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const { values } = parsed;
  if (values.help === true) {
    console.log(STATS_USAGE);
    return 0;
  }
  const everyMs = values.watch === undefined ? undefined : seconds('--watch', values.watch, false);
  const listen = values.prometheus === undefined ? undefined : hostPort(values.prometheus);
  const urls = nodeUrls(values.redis, process.env);
  let clients;
  try {
    clients = await connectAll(urls);
  } catch (error) {
    console.error(`redsync stats: ${(error as Error).message}`);
    return 69;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (listen !== undefined) {
      const server = await servePrometheus(clients, urls, listen.host, listen.port);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : listen.port;
      console.error(`redsync stats: serving http://${listen.host}:${String(port)}/metrics`);
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await new Promise((resolve) => server.close(resolve));
      return 0;
    }
    await monitor(clients, urls, everyMs, values.json === true, stop.signal);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const client of clients) client.disconnect();
  }
}

async function monitor(clients: Parameters<typeof takeSample>[0], urls: readonly string[], everyMs: number | undefined, json: boolean, stop: AbortSignal): Promise<void> {
  const said = new Set<string>();
  const history: Sample[] = [];
  const live = process.stdout.isTTY && (process.env['NO_COLOR'] ?? '') === '' && process.env['TERM'] !== 'dumb';
  for (let previous: Sample | undefined; ; ) {
    const sample = await takeSample(clients, urls, previous);
    history.push(sample);
    if (history.length > 600) history.shift();
    const warnings = warningsFor(sample, said);
    if (json) console.log(JSON.stringify({ ...sample, warnings }));
    else {
      const frame = [sample.at, ...sampleTable(sample), ...(live && everyMs !== undefined ? chart(history, process.stdout.columns) : []), ...warnings.map((w) => `warning: ${w}`)];
      process.stdout.write(live && everyMs !== undefined ? `\u001b[H\u001b[2J${frame.join('\n')}\n` : `${frame.join('\n')}\n\n`);
    }
    if (everyMs === undefined || stop.aborted) return;
    previous = sample;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      stop.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    // The signal may have come during the wait.
    if ((stop as { aborted: boolean }).aborted) return;
  }
}

function hostPort(text: string): { host: string; port: number } {
  const match = /^(?:(.+):)?(\d+)$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port < 0 || port > 65535) throw new UsageError(`--prometheus takes [HOST:]PORT, got ${JSON.stringify(text)}`);
  return { host: match[1] ?? '127.0.0.1', port };
}
