/**
 * Lock and cache telemetry from redsync-ts's diagnostics channels: OpenTelemetry spans and
 * metrics through `@opentelemetry/api` (register any SDK and exporter you like), and a Prometheus
 * registry with prom-client for a `/metrics` endpoint. It shows lock wait time (acquire start to
 * end), hold time (acquired to released), losses by reason, and the cache's hit rate per prefix.
 * The library itself stays free of both: it only publishes; nothing is built when nobody listens.
 *
 *   node dist/observability.js        (starts 3 temporary redis-servers and prints /metrics)
 */
import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { pathToFileURL } from 'node:url';
import { SpanStatusCode, metrics, trace, type Span } from '@opentelemetry/api';
import { Counter, Histogram, Registry } from 'prom-client';
import { Redsync, TRACE_CHANNELS, type CacheTraceContext, type LockTraceContext } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { connectNodes } from './connect.js';

/** What `observe` registered, and how to stop. */
export interface Observed {
  readonly registry: Registry;
  stop(): void;
}

/** Subscribes to every redsync-ts channel; spans go to the global OpenTelemetry tracer provider. */
export function observe(): Observed {
  const registry = new Registry();
  const tracer = trace.getTracer('redsync-ts-example');
  const meter = metrics.getMeter('redsync-ts-example');
  const waitSeconds = new Histogram({ name: 'redsync_lock_wait_seconds', help: 'acquire() from call to outcome', labelNames: ['outcome'], registers: [registry] });
  const holdSeconds = new Histogram({ name: 'redsync_lock_hold_seconds', help: 'from acquisition to release, per lock name', labelNames: ['name'], registers: [registry] });
  const losses = new Counter({ name: 'redsync_lock_lost_total', help: 'locks found lost while held', labelNames: ['reason'], registers: [registry] });
  const cacheGets = new Counter({ name: 'redsync_cache_gets_total', help: 'cache gets by outcome and key prefix', labelNames: ['prefix', 'outcome'], registers: [registry] });
  const otelLosses = meter.createCounter('redsync.lock.lost');
  const spans = new WeakMap<object, { span: Span; started: number }>();
  const heldSince = new Map<string, number>();
  const stops: (() => void)[] = [];

  const lockHandlers = (operation: string) => ({
    start(context: LockTraceContext) {
      spans.set(context, { span: tracer.startSpan(`redsync ${operation}`, { attributes: { 'redsync.lock': context.name, 'redsync.nodes': context.nodes } }), started: performance.now() });
    },
    asyncEnd(context: LockTraceContext) {
      const open = spans.get(context);
      const result = context.result as { acquired?: boolean; released?: boolean } | undefined;
      if (operation === 'acquire' && open !== undefined) waitSeconds.observe({ outcome: 'acquired' }, (performance.now() - open.started) / 1000);
      if (result?.acquired === true) heldSince.set(context.name, performance.now());
      if (operation === 'release') {
        const since = heldSince.get(context.name);
        if (since !== undefined) holdSeconds.observe({ name: context.name }, (performance.now() - since) / 1000);
        heldSince.delete(context.name);
      }
      open?.span.end();
    },
    error(context: LockTraceContext) {
      const open = spans.get(context);
      if (operation === 'acquire' && open !== undefined) waitSeconds.observe({ outcome: 'failed' }, (performance.now() - open.started) / 1000);
      open?.span.setStatus({ code: SpanStatusCode.ERROR, message: String((context.error as Error | undefined)?.message) });
      open?.span.end();
    },
  });
  for (const [operation, name] of [['acquire', TRACE_CHANNELS.acquire], ['tryAcquire', TRACE_CHANNELS.tryAcquire], ['extend', TRACE_CHANNELS.extend], ['release', TRACE_CHANNELS.release]] as const) {
    const handlers = lockHandlers(operation);
    tracingChannel(name).subscribe(handlers as never);
    stops.push(() => tracingChannel(name).unsubscribe(handlers as never));
  }
  const onGet = { asyncEnd: (context: CacheTraceContext) => cacheGets.inc({ prefix: context.key.split(':')[0] ?? '', outcome: context.outcome ?? 'unknown' }) };
  tracingChannel(TRACE_CHANNELS.cacheGet).subscribe(onGet as never);
  stops.push(() => tracingChannel(TRACE_CHANNELS.cacheGet).unsubscribe(onGet as never));
  const onLost = (message: unknown): void => {
    const { name, reason } = message as { name: string; reason: string };
    losses.inc({ reason });
    otelLosses.add(1, { reason });
    heldSince.delete(name);
  };
  subscribe(TRACE_CHANNELS.lockLost, onLost);
  stops.push(() => unsubscribe(TRACE_CHANNELS.lockLost, onLost));
  return {
    registry,
    stop() {
      for (const stop of stops) stop();
    },
  };
}

/** A little traffic on temporary servers, and the Prometheus text it produced. */
export async function demoMetrics(lockUrls: readonly string[]): Promise<string> {
  const observed = observe();
  const redis = await connectNodes(lockUrls);
  try {
    await using rs = new Redsync(redis.nodes, { ttl: 1000 });
    for (let i = 0; i < 5; i++) {
      const lock = await rs.mutex('report').acquire();
      await lock.release();
    }
    const cache = rs.cache<number>({ ttl: 60_000 });
    for (let i = 0; i < 4; i++) await cache.get('answer', () => 42);
    return await observed.registry.metrics();
  } finally {
    observed.stop();
    redis.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const servers = await startRedisServers(3);
  try {
    // eslint-disable-next-line no-console -- a runnable example prints its outcome
    console.log(await demoMetrics(servers.map((s) => s.url)));
  } finally {
    await stopRedisServers(servers);
  }
}
