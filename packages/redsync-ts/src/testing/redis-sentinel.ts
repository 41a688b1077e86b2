import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from './redis-server.js';
import { freePort, retryOnPortClash, waitForReady } from './server-process.js';

/** How to start a test Sentinel deployment. */
export interface RedisSentinelOptions {
  /** Replicas of the master. @default 2 */
  readonly replicas?: number;
  /** Sentinels watching it; a majority of them must agree to fail over. @default 3 */
  readonly sentinels?: number;
  /** `down-after-milliseconds`: how long the master may be silent before a failover. @default 1000 */
  readonly downAfter?: number;
  /** The master's name, as clients ask the sentinels for it. @default 'mymaster' */
  readonly masterName?: string;
  /** How long to wait for the deployment (and for a promotion), in ms. @default 30000 */
  readonly readyTimeout?: number;
}

/** A sentinel or data node's address. */
export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

/** One `redis-server --sentinel` process. */
interface SentinelProcess {
  readonly port: number;
  readonly dir: string;
  child: ChildProcess | undefined;
}

const children = new Set<ChildProcess>();
let hooked = false;

/**
 * A real Sentinel deployment for tests: one master and its replicas (`redis-server` on free
 * loopback ports) watched by `redis-server --sentinel` processes. Every child is killed when the
 * test process exits.
 */
export class RedisSentinel {
  readonly #options: RedisSentinelOptions;
  readonly #data: RedisServer[];
  readonly #sentinels: SentinelProcess[];

  private constructor(options: RedisSentinelOptions, data: RedisServer[], sentinels: SentinelProcess[]) {
    this.#options = options;
    this.#data = data;
    this.#sentinels = sentinels;
  }

  /**
   * Starts the master, its replicas and the sentinels; resolves once every sentinel knows every
   * replica.
   * @throws RangeError for bad counts; Error when the deployment does not come up in time.
   */
  static async start(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
    const replicas = options.replicas ?? 2;
    const sentinels = options.sentinels ?? 3;
    if (!Number.isSafeInteger(replicas) || replicas < 1) throw new RangeError(`replicas must be a positive integer, got ${String(replicas)}`);
    if (!Number.isSafeInteger(sentinels) || sentinels < 1) throw new RangeError(`sentinels must be a positive integer, got ${String(sentinels)}`);
    // Diskless full syncs otherwise wait 5 s for more replicas before they start.
    const fast = { 'repl-diskless-sync-delay': '0' };
    const master = await RedisServer.start({ tcp: true, config: fast });
    const deployment = new RedisSentinel(options, [master], []);
    try {
      const config = { ...fast, replicaof: `127.0.0.1 ${String(master.port)}` };
      deployment.#data.push(...(await Promise.all(Array.from({ length: replicas }, () => RedisServer.start({ tcp: true, config })))));
      await deployment.#until(async () => {
        const links = await Promise.all(deployment.#data.slice(1).map((replica) => deployment.#ask(replica.port as number, ['INFO', 'replication'])));
        return links.every((info) => info.includes('master_link_status:up'));
      }, 'every replica to be in sync');
      for (let i = 0; i < sentinels; i++) deployment.#sentinels.push(await retryOnPortClash(() => deployment.#startSentinel(master.port as number, Math.floor(sentinels / 2) + 1)));
      await deployment.#until(async () => {
        const counts = await Promise.all(deployment.#sentinels.map((s) => deployment.#ask(s.port, ['SENTINEL', 'REPLICAS', deployment.masterName])));
        return counts.every((reply) => (reply.match(/^ip$/gm) ?? []).length >= replicas);
      }, 'the sentinels to see every replica');
    } catch (error) {
      await deployment.stop();
      throw error;
    }
    return deployment;
  }

  /** The name clients ask the sentinels for. */
  get masterName(): string {
    return this.#options.masterName ?? 'mymaster';
  }

  /** The sentinels' addresses (ioredis: `new Redis({ sentinels, name: masterName })`). */
  get sentinels(): SentinelAddress[] {
    return this.#sentinels.filter((s) => s.child !== undefined).map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** The master and replicas, in start order (roles change with failovers). */
  get servers(): readonly RedisServer[] {
    return this.#data;
  }

  /** The data node the sentinels name as master now. */
  async master(): Promise<RedisServer> {
    const reply = await this.#ask(this.#sentinels[0]?.port ?? 0, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]);
    const port = Number(reply.trim().split('\n')[1]);
    const server = this.#data.find((s) => s.port === port);
    if (server === undefined) throw new Error(`the sentinels name an unknown master on port ${String(port)}`);
    return server;
  }

  /**
   * Crashes the master (SIGKILL) and resolves once the sentinels have promoted a replica and it
   * reports itself master.
   * @returns the new master.
   */
  async killMaster(): Promise<RedisServer> {
    const old = await this.master();
    await old.kill();
    let promoted: RedisServer | undefined;
    await this.#until(async () => {
      const now = await this.master();
      if (now === old) return false;
      const role = await this.#ask(now.port as number, ['ROLE']);
      promoted = now;
      return role.startsWith('master');
    }, 'a replica to be promoted');
    return promoted as RedisServer;
  }

  /**
   * Resolves once every running sentinel names `server` as the master and it reports itself
   * master: until then a client asking a sentinel that has not heard of a failover yet can be
   * sent elsewhere.
   * @throws Error when that does not happen within `readyTimeout`.
   */
  async untilMaster(server: RedisServer): Promise<void> {
    await this.#until(async () => {
      const replies = await Promise.all(this.sentinels.map((s) => this.#ask(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName])));
      if (!replies.every((reply) => Number(reply.trim().split('\n')[1]) === server.port)) return false;
      return (await this.#ask(server.port as number, ['ROLE'])).startsWith('master');
    }, `port ${String(server.port)} to be the master for every sentinel`);
  }

  /** Stops everything and removes the directories. */
  async stop(): Promise<void> {
    for (const sentinel of this.#sentinels) {
      sentinel.child?.kill('SIGKILL');
      rmSync(sentinel.dir, { recursive: true, force: true });
    }
    await Promise.all(this.#data.map((server) => server.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #startSentinel(masterPort: number, quorum: number): Promise<SentinelProcess> {
    if (!hooked) {
      hooked = true;
      process.once('exit', () => {
        for (const child of children) child.kill('SIGKILL');
      });
    }
    const dir = mkdtempSync(join(tmpdir(), 'redsync-sentinel-'));
    const port = await freePort();
    const file = join(dir, 'sentinel.conf');
    const name = this.masterName;
    writeFileSync(
      file,
      [
        `port ${String(port)}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${String(masterPort)} ${String(quorum)}`,
        `sentinel down-after-milliseconds ${name} ${String(this.#options.downAfter ?? 1000)}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const sentinel: SentinelProcess = { port, dir, child };
    child.once('exit', () => {
      children.delete(child);
      sentinel.child = undefined;
    });
    try {
      await waitForReady(child, 'redis-server', this.#options.readyTimeout ?? 30_000, /\+monitor master/);
    } catch (error) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return sentinel;
  }

  #ask(port: number, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`, { cause: error }));
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
