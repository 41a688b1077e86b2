import { createServer, connect, type Server, type Socket } from 'node:net';

/** Where a proxy forwards to: a unix socket path or a loopback TCP port. */
export type ProxyTarget = { readonly path: string } | { readonly port: number; readonly host?: string };

/** One direction of one connection: bytes wait here when latency is on, in order. */
interface Lane {
  readonly to: Socket;
  /**
   * Delayed chunks with the time each is due, oldest first, drained by one timer per lane: a
   * timer per chunk could fire two chunks due in the same millisecond out of order, and a byte
   * stream delivered out of order hands Redis replies to the wrong commands.
   */
  readonly delayed: { readonly at: number; readonly chunk: Buffer }[];
  drain: NodeJS.Timeout | undefined;
  /** Bytes held back by a blackhole, delivered in order when it heals (as TCP retransmits). */
  readonly held: Buffer[];
}

/**
 * A TCP proxy in front of a Redis node, in the test process, listening on a free port of
 * 127.0.0.1 only. Faults can be switched at any time: latency (with jitter) in both directions,
 * a blackhole (a partition: bytes are accepted but held, and delivered in order once it heals, as
 * TCP would retransmit them), and a reset of every live connection. Clients connect to
 * `proxy.port` instead of the node.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: ProxyTarget;
  readonly #sockets = new Set<Socket>();
  readonly #lanes = new Set<Lane>();
  #latency = 0;
  #jitter = 0;
  #blackhole = false;

  private constructor(server: Server, target: ProxyTarget) {
    this.#server = server;
    this.#target = target;
  }

  /** Starts a proxy to `target` on a free loopback port. */
  static start(target: ProxyTarget): Promise<FaultProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const proxy = new FaultProxy(server, target);
      server.on('connection', (client) => {
        proxy.#accept(client);
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve(proxy);
      });
    });
  }

  /** The loopback port clients connect to. */
  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  /** Delays every chunk by `ms` plus a random 0..`jitter` ms, each way. 0 turns it off. */
  latency(ms: number, jitter = 0): void {
    this.#latency = ms;
    this.#jitter = jitter;
  }

  /** Holds every byte, both ways, while on: the node looks alive but never answers. */
  blackhole(on = true): void {
    this.#blackhole = on;
    if (!on) this.#flushHeld();
  }

  /** Destroys every live connection now (clients see a reset and reconnect). */
  reset(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Turns every fault off; held bytes go through. */
  heal(): void {
    this.#latency = 0;
    this.#jitter = 0;
    this.blackhole(false);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = 'path' in this.#target ? connect(this.#target.path) : connect(this.#target.port, this.#target.host ?? '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined); // a fault proxy expects broken connections
      socket.on('close', () => {
        this.#sockets.delete(socket);
        this.#lanes.delete(toUpstream);
        this.#lanes.delete(toClient);
        client.destroy();
        upstream.destroy();
      });
    }
    const toUpstream: Lane = { to: upstream, delayed: [], drain: undefined, held: [] };
    const toClient: Lane = { to: client, delayed: [], drain: undefined, held: [] };
    this.#lanes.add(toUpstream).add(toClient);
    client.on('data', (chunk: Buffer) => {
      this.#forward(toUpstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      this.#forward(toClient, chunk);
    });
  }

  #flushHeld(): void {
    for (const lane of this.#lanes) {
      for (const chunk of lane.held.splice(0)) this.#forward(lane, chunk);
    }
  }

  #forward(lane: Lane, chunk: Buffer): void {
    if (this.#blackhole) {
      lane.held.push(chunk);
      return;
    }
    const { delayed } = lane;
    if (this.#latency === 0 && this.#jitter === 0 && delayed.length === 0) {
      lane.to.write(chunk);
      return;
    }
    // Never before the chunk ahead of it: latency delays a stream, it does not reorder it.
    const last = delayed.at(-1)?.at ?? 0;
    delayed.push({ at: Math.max(performance.now() + this.#latency + Math.random() * this.#jitter, last), chunk });
    if (lane.drain === undefined) this.#scheduleDrain(lane);
  }

  #scheduleDrain(lane: Lane): void {
    const next = lane.delayed[0];
    if (next === undefined) {
      lane.drain = undefined;
      return;
    }
    lane.drain = setTimeout(() => {
      const now = performance.now();
      while (lane.delayed.length > 0 && (lane.delayed[0]?.at ?? 0) <= now) {
        const { chunk } = lane.delayed.shift() ?? { chunk: undefined };
        if (chunk !== undefined && !lane.to.destroyed) lane.to.write(chunk);
      }
      this.#scheduleDrain(lane);
    }, Math.max(0, next.at - performance.now()));
    lane.drain.unref();
  }
}
