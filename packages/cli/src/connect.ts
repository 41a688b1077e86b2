import { Redis } from 'ioredis';

/**
 * Opens an ioredis client for `redis://`, `rediss://` or `unix://` URLs, with settings that fail
 * fast instead of queueing commands while a node is down (a queued SET could land much later).
 */
export function connectUrl(url: string): Redis {
  const common = { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100, lazyConnect: true } as const;
  const client = url.startsWith('unix://') ? new Redis({ ...common, path: url.slice('unix://'.length) }) : new Redis(url, common);
  // Connection errors surface as failed commands; the event would otherwise be logged by ioredis.
  client.on('error', () => undefined);
  return client;
}

/** Connects every client, failing with the URL that could not be reached. */
export async function connectAll(urls: readonly string[]): Promise<Redis[]> {
  const clients = urls.map(connectUrl);
  const results = await Promise.allSettled(clients.map((c) => c.connect()));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed !== -1) {
    for (const c of clients) c.disconnect();
    throw new Error(`cannot connect to ${urls[failed] ?? '?'}`, { cause: (results[failed] as PromiseRejectedResult).reason });
  }
  return clients;
}
