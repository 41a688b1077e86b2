import { execFile } from 'node:child_process';
import { freePort, retryOnPortClash } from './server-process.js';
import { RedisServer } from './redis-server.js';

/** How to start a test Redis Cluster. */
export interface RedisClusterOptions {
  /** Masters, each owning an equal share of the 16384 slots. @default 3 */
  readonly masters?: number;
  /** Replicas attached to each master. @default 0 */
  readonly replicasPerMaster?: number;
  /**
   * `cluster-node-timeout` in ms: how long a master may be unreachable before its replica is
   * promoted. Short, so that failover tests finish quickly.
   * @default 1000
   */
  readonly nodeTimeout?: number;
  /** Extra `redis.conf` directives for every node. @default {} */
  readonly config?: Readonly<Record<string, string>>;
  /** The `redis-cli` binary that assigns the slots. @default process.env.REDIS_CLI_BIN ?? 'redis-cli' */
  readonly cli?: string;
  /** How long to wait for `cluster_state:ok`, in ms. @default 30000 */
  readonly readyTimeout?: number;
}

/** A node's address, as cluster clients take their start-up nodes. */
export interface ClusterAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A real Redis Cluster for tests: `redis-server --cluster-enabled` processes on free loopback
 * ports (and a unix socket each, for admin), slots assigned by `redis-cli --cluster create`,
 * replicas attached. Every child is killed when the test process exits, as with single servers.
 */
export class RedisCluster {
  readonly #servers: RedisServer[];
  readonly #options: RedisClusterOptions;

  private constructor(servers: RedisServer[], options: RedisClusterOptions) {
    this.#servers = servers;
    this.#options = options;
  }

  /**
   * Starts the nodes, creates the cluster and resolves once every node reports `cluster_state:ok`.
   * @throws RangeError for a bad count; Error when `redis-cli` is missing or the cluster never forms.
   */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 0;
    if (!Number.isSafeInteger(masters) || masters < 3) throw new RangeError(`masters must be an integer of at least 3 (redis-cli needs 3), got ${String(masters)}`);
    if (!Number.isSafeInteger(replicas) || replicas < 0) throw new RangeError(`replicasPerMaster must be a non-negative integer, got ${String(replicas)}`);
    const count = masters * (1 + replicas);
    const started = await Promise.allSettled(Array.from({ length: count }, () => startNode(options)));
    const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const cluster = new RedisCluster(servers, options);
    try {
      const failure = started.find((result) => result.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
      const addresses = servers.map((server) => `127.0.0.1:${String(server.port)}`);
      await cluster.#cli(['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
      await cluster.waitUntilOk();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Every node, masters and replicas, in start order (roles change with failovers). */
  get servers(): readonly RedisServer[] {
    return this.#servers;
  }

  /** Start-up nodes for a cluster client (`new Cluster(cluster.addresses)` in ioredis). */
  get addresses(): ClusterAddress[] {
    return this.#servers.filter((server) => server.running).map((server) => ({ host: '127.0.0.1', port: server.port as number }));
  }

  /** The nodes that are masters now (running ones, as they report themselves). */
  async masters(): Promise<RedisServer[]> {
    const roles = await Promise.all(this.#servers.map((server) => (server.running ? this.#role(server) : Promise.resolve(undefined))));
    return this.#servers.filter((_, index) => roles[index] === 'master');
  }

  /** The master that serves `slot` now. @throws Error when no running master claims it. */
  async masterOf(slot: number): Promise<RedisServer> {
    for (const server of await this.masters()) {
      const nodes = await this.#ask(server, ['CLUSTER', 'NODES']);
      const mine = nodes.split('\n').find((line) => line.includes('myself'));
      if (mine !== undefined && ownsSlot(mine, slot)) return server;
    }
    throw new Error(`no running master serves slot ${String(slot)}`);
  }

  /** The running replicas of `master`. */
  async replicasOf(master: RedisServer): Promise<RedisServer[]> {
    const id = (await this.#ask(master, ['CLUSTER', 'MYID'])).trim();
    const roles = await Promise.all(this.#servers.map(async (server) => (server.running && server !== master ? (await this.#ask(server, ['CLUSTER', 'NODES'])).split('\n').find((line) => line.includes('myself')) : undefined)));
    return this.#servers.filter((_, index) => roles[index]?.includes(` ${id} `) === true);
  }

  /**
   * A manual failover of `master`: `CLUSTER FAILOVER` on one of its replicas, resolved once that
   * replica is a master and the cluster is ok again.
   * @returns the promoted replica.
   * @throws Error when `master` has no running replica.
   */
  async failover(master: RedisServer): Promise<RedisServer> {
    const [replica] = await this.replicasOf(master);
    if (replica === undefined) throw new Error('failover needs a running replica of the master');
    await this.#ask(replica, ['CLUSTER', 'FAILOVER']);
    await this.#until(async () => (await this.#role(replica)) === 'master', 'the replica to take over');
    await this.waitUntilOk();
    return replica;
  }

  /**
   * Crashes a node (SIGKILL). A master with a replica is replaced after `nodeTimeout`: see
   * {@link RedisCluster.waitUntilOk}.
   */
  async kill(server: RedisServer): Promise<void> {
    await server.kill();
  }

  /**
   * Resolves once every running node reports `cluster_state:ok`, and every running replica is in
   * sync with its master. @throws Error after `readyTimeout`.
   */
  async waitUntilOk(): Promise<void> {
    await this.#until(async () => {
      const running = this.#servers.filter((server) => server.running);
      const states = await Promise.all(running.map(async (server) => (await this.#ask(server, ['CLUSTER', 'INFO'])) + (await this.#ask(server, ['INFO', 'replication']))));
      return states.every((info) => info.includes('cluster_state:ok') && (info.includes('role:master') || info.includes('master_link_status:up')));
    }, 'cluster_state:ok and replicas in sync on every node');
  }

  /** Stops every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #role(server: RedisServer): Promise<string | undefined> {
    const nodes = await this.#ask(server, ['CLUSTER', 'NODES']).catch(() => '');
    const mine = nodes.split('\n').find((line) => line.includes('myself'));
    return mine?.includes('master') === true ? 'master' : mine?.includes('slave') === true ? 'replica' : undefined;
  }

  #ask(server: RedisServer, args: readonly string[]): Promise<string> {
    return this.#cli(['-s', server.socket, ...args]);
  }

  #cli(args: readonly string[]): Promise<string> {
    const binary = this.#options.cli ?? process.env['REDIS_CLI_BIN'] ?? 'redis-cli';
    return new Promise((resolve, reject) => {
      execFile(binary, args, { timeout: 20_000 }, (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`${binary} ${args.join(' ')} failed: ${stderr || error.message}`, { cause: error }));
      });
    });
  }

  async #until(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + (this.#options.readyTimeout ?? 30_000);
    while (!(await condition().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function startNode(options: RedisClusterOptions): Promise<RedisServer> {
  // A bus port taken between the probe and the bind: again with another one.
  return retryOnPortClash(async () => {
    const config = {
      'cluster-enabled': 'yes',
      'cluster-config-file': 'nodes.conf',
      'cluster-node-timeout': String(options.nodeTimeout ?? 1000),
      // Diskless full syncs otherwise wait 5 s for more replicas before they start.
      'repl-diskless-sync-delay': '0',
      // The bus port would be port + 10000, which may be taken: ask for a free one instead.
      'cluster-port': String(await freePort()),
      ...options.config,
    };
    return RedisServer.start({ tcp: true, config });
  });
}

/** True when a `CLUSTER NODES` line lists `slot` among its own slots (ranges `a-b` or single). */
function ownsSlot(line: string, slot: number): boolean {
  return line
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to] = range.split('-').map(Number);
      return from !== undefined && from <= slot && slot <= (to ?? from);
    });
}
