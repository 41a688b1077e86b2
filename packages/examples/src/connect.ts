import { Redis } from 'ioredis';
import { fromIoredis, type RedisNode } from 'redsync-ts';

/** Lock nodes over ioredis clients, and a way to close the clients. */
export interface ConnectedNodes {
  readonly nodes: RedisNode[];
  readonly clients: Redis[];
  close(): void;
}

/**
 * Connects ioredis clients to `redis://` or `unix://` URLs and wraps them as lock nodes, once
 * every client answered a PING. A service connects at start-up, not inside its first lock: a
 * connection made during a lock round spends the round's per-node timeout (ttl * timeoutFactor,
 * 50 ms at a 1 s ttl) on the handshake, and on a busy machine that is enough to fail the round.
 */
export async function connectNodes(urls: readonly string[]): Promise<ConnectedNodes> {
  const clients = urls.map((url) =>
    url.startsWith('unix://') ? new Redis({ path: url.slice('unix://'.length), maxRetriesPerRequest: 1 }) : new Redis(url, { maxRetriesPerRequest: 1 }),
  );
  const close = (): void => {
    for (const client of clients) client.disconnect();
  };
  try {
    await Promise.all(clients.map((client) => client.ping()));
  } catch (error) {
    close();
    throw error;
  }
  return { nodes: clients.map((client) => fromIoredis(client)), clients, close };
}
