import { Redis } from 'ioredis';

/**
 * Opens an ioredis client for `redis://`, `rediss://` or `unix://` URLs, with settings that fail
 * fast instead of queueing commands while a node is down (a queued SET could land much later).
 */
export function connectUrl(url: string): Redis {
  const common = { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100, lazyConnect: true } as const;
  const client = url.startsWith('unix://') ? new Redis({ ...common, path: url.slice('unix://'.length) }) : new Redis(url, common);
  // Connection errors surface as failed commands; the event would otherwise be logged by ioredis.
  // The last one is kept: a refused handshake (WRONGPASS) only says "Connection is closed" to connect().
  client.on('error', (error: unknown) => lastErrors.set(client, error));
  return client;
}

const lastErrors = new WeakMap<Redis, unknown>();

/**
 * `url` with any password replaced by `***` (and a user name kept), for messages: the CLI never
 * prints a credential. Text that does not parse as a URL is shown only up to its `@`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    const at = url.lastIndexOf('@');
    return at === -1 ? url : `***${url.slice(at)}`;
  }
}

/** Connects every client, failing with the server's or client's error and the redacted URL. */
export async function connectAll(urls: readonly string[]): Promise<Redis[]> {
  const clients = urls.map(connectUrl);
  const results = await Promise.allSettled(clients.map((c) => c.connect().then(() => c.ping())));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed !== -1) {
    for (const c of clients) c.disconnect();
    const client = clients[failed] as Redis;
    const reason: unknown = lastErrors.get(client) ?? (results[failed] as PromiseRejectedResult).reason;
    const said = reason instanceof Error ? reason.message : String(reason);
    throw new Error(`cannot connect to ${redactUrl(urls[failed] ?? '?')}: ${said}`, { cause: reason });
  }
  return clients;
}
