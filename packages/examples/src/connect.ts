import { Redis } from 'ioredis';
import { fromIoredis, type RedisNode } from 'redsync-ts';

/** ioredis clients for `redis://` or `unix://` URLs, wrapped as lock nodes, and a way to close them. */
export function openNodes(urls: readonly string[]): { nodes: RedisNode[]; clients: Redis[]; close: () => void } {
  const clients = urls.map((url) =>
    url.startsWith('unix://') ? new Redis({ path: url.slice('unix://'.length), maxRetriesPerRequest: 1 }) : new Redis(url, { maxRetriesPerRequest: 1 }),
  );
  return {
    nodes: clients.map((client) => fromIoredis(client)),
    clients,
    close: () => {
      for (const client of clients) client.disconnect();
    },
  };
}
