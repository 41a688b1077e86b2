/**
 * `redsync stats --prometheus`: `/metrics` for a scraper, read from the nodes on each scrape, with
 * redis_exporter's metric names where they overlap, labelled by node (its URL, password masked).
 */
import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { takeSample } from './sample.js';

/** Starts the endpoint on `host:port`; resolves once it listens. */
export async function servePrometheus(clients: readonly Redis[], urls: readonly string[], host: string, port: number): Promise<Server> {
  const registry = new Registry();
  const series: [string, string, (s: NonNullable<Awaited<ReturnType<typeof takeSample>>['nodes'][number]['stats']>) => number][] = [
    ['redis_keyspace_hits_total', 'Successful key lookups (counter, from INFO)', (s) => s.keyspaceHits],
    ['redis_keyspace_misses_total', 'Failed key lookups (counter, from INFO)', (s) => s.keyspaceMisses],
    ['redis_evicted_keys_total', 'Keys evicted by maxmemory (counter, from INFO)', (s) => s.evictedKeys],
    ['redis_expired_keys_total', 'Keys expired (counter, from INFO)', (s) => s.expiredKeys],
    ['redis_memory_used_bytes', 'used_memory', (s) => s.usedMemoryBytes],
    ['redis_memory_max_bytes', 'maxmemory (0: no limit)', (s) => s.maxMemoryBytes],
    ['redis_connected_clients', 'connected_clients', (s) => s.connectedClients],
    ['redis_instantaneous_ops_per_sec', 'instantaneous_ops_per_sec', (s) => s.opsPerSecond],
    ['redsync_node_can_evict', '1 when the node can evict keys (maxmemory set, policy not noeviction): lock keys are not safe there', (s) => (s.canEvict ? 1 : 0)],
  ];
  const up = new Gauge({ name: 'redis_up', help: '1 when the node answered INFO', labelNames: ['node'], registers: [registry] });
  const gauges = series.map(([name, help, pick]) => ({ gauge: new Gauge({ name, help, labelNames: ['node'], registers: [registry] }), pick }));
  const refresh = async (): Promise<void> => {
    const sample = await takeSample(clients, urls, undefined);
    for (const n of sample.nodes) {
      up.set({ node: n.node }, n.stats === undefined ? 0 : 1);
      if (n.stats !== undefined) for (const { gauge, pick } of gauges) gauge.set({ node: n.node }, pick(n.stats));
    }
  };
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end('see /metrics\n');
      return;
    }
    refresh()
      .then(() => registry.metrics())
      .then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(`${String(error)}\n`),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
