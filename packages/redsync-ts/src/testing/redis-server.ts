import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { canFakeClock, fakeClockEnv, setClockOffset } from './fake-clock.js';
import { freePort, retryOnPortClash, tlsConfig, waitForReady } from './server-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How to start a test server. */
export interface RedisServerOptions {
  /**
   * Persist with AOF and `appendfsync always`, so `restart()` keeps the data (and a killed node
   * comes back with its locks, as Redlock's crash-recovery rule asks).
   * @default false (nothing is persisted: a restart comes back empty)
   */
  readonly appendOnly?: boolean;
  /**
   * Also listen on a free TCP port on 127.0.0.1 (`server.port`); otherwise only the unix socket.
   * @default false
   */
  readonly tcp?: boolean;
  /**
   * Serve TLS only on a free loopback port (`server.port`, `server.url` is `rediss://`), with these
   * PEM files; clients are not asked for certificates. The unix socket stays plaintext, for admin.
   * @default undefined (no TLS)
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /**
   * Run the server under libfaketime, so `jumpClock()` can move its wall clock at run time.
   * Needs Debian's `faketime` and `libtcmalloc-minimal4` (tcmalloc is preloaded because
   * libfaketime alone crashes a jemalloc-linked redis-server); see `RedisServer.canFakeClock()`.
   * @default false
   */
  readonly fakeClock?: boolean;
  /** Extra `redis.conf` directives, e.g. `{ 'maxmemory-policy': 'noeviction' }`. @default {} */
  readonly config?: Readonly<Record<string, string>>;
  /** The server binary. @default process.env.REDIS_SERVER_BIN ?? 'redis-server' */
  readonly binary?: string;
  /** How long to wait for the ready line, in ms. @default 10000 */
  readonly startTimeout?: number;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;

/** SIGKILL every child still running when the test process exits, however it exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * A real `redis-server` child process on a private unix socket in its own temporary directory
 * (and optionally a free loopback port), for tests. Never touches a fixed port.
 */
export class RedisServer {
  /** Path of the unix socket. */
  readonly socket: string;
  /** The server's working directory (AOF files live here). */
  readonly dir: string;
  /** The TCP port on 127.0.0.1, when started with `tcp: true`. */
  readonly port: number | undefined;
  #options: RedisServerOptions;
  #child: ChildProcess | undefined;

  private constructor(dir: string, port: number | undefined, options: RedisServerOptions) {
    this.dir = dir;
    this.socket = join(dir, 'redis.sock');
    this.port = port;
    this.#options = options;
  }

  /**
   * Starts a server and resolves once it accepts connections.
   * @throws Error with an install hint when `redis-server` is not installed.
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    installExitHook();
    return retryOnPortClash(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'redsync-'));
      dirs.add(dir);
      const port = options.tcp === true || options.tls !== undefined ? await freePort() : undefined;
      const server = new RedisServer(dir, port, options);
      try {
        await server.#spawn();
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        dirs.delete(dir);
        throw error;
      }
      return server;
    });
  }

  /** `rediss://127.0.0.1:port` with TLS, `redis://127.0.0.1:port` with TCP, else `unix://socket`. */
  get url(): string {
    if (this.port === undefined) return `unix://${this.socket}`;
    return `${this.#options.tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${this.port}`;
  }

  /** True when the libraries `fakeClock` needs are installed. */
  static canFakeClock(): boolean {
    return canFakeClock();
  }

  /**
   * Moves this server's wall clock to `seconds` from real time (positive: forward; 0: back to
   * real time). A forward jump makes keys expire early, as an NTP step would.
   * @throws Error when the server was not started with `fakeClock: true`.
   */
  jumpClock(seconds: number): void {
    if (this.#options.fakeClock !== true) throw new Error('jumpClock needs a server started with fakeClock: true');
    setClockOffset(this.dir, seconds);
  }

  /** Process id of the running server, or undefined when it is down. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True while the process runs (also while paused). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Graceful shutdown (SIGTERM); resolves when the process has exited. */
  async stop(): Promise<void> {
    await this.#signalAndWait('SIGTERM');
  }

  /** Crash (SIGKILL): no shutdown, no final save; resolves when the process has exited. */
  async kill(): Promise<void> {
    await this.#signalAndWait('SIGKILL');
  }

  /** Freeze the process (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Unfreeze a paused process (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /**
   * Kills the process (if running) and starts it again on the same socket and port, after
   * `delay` ms. Empty unless started with `appendOnly: true`. `config` directives are added to
   * the start options for this and every later start: e.g. `{ replicaof: '127.0.0.1 7001' }` for
   * an old master that must come back as a replica of the one promoted in its place (as Sentinel
   * would have rewritten its config file).
   */
  async restart(options: { readonly delay?: number; readonly config?: Readonly<Record<string, string>> } = {}): Promise<void> {
    await this.kill();
    if (options.config !== undefined) this.#options = { ...this.#options, config: { ...this.#options.config, ...options.config } };
    if (options.delay !== undefined && options.delay > 0) await new Promise((resolve) => setTimeout(resolve, options.delay));
    await this.#spawn();
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #config(): string {
    const lines: Record<string, string> = {
      port: String(this.port ?? 0),
      bind: '127.0.0.1',
      unixsocket: this.socket,
      unixsocketperm: '700',
      dir: this.dir,
      save: '""',
      appendonly: this.#options.appendOnly === true ? 'yes' : 'no',
      appendfsync: 'always',
      'enable-debug-command': 'local',
      ...tlsConfig(this.#options.tls, this.port),
      ...this.#options.config,
    };
    return Object.entries(lines).map(([key, value]) => `${key} ${value}`).join('\n') + '\n';
  }

  async #spawn(): Promise<void> {
    const binary = this.#options.binary ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
    const child = spawn(binary, ['-'], { stdio: ['pipe', 'pipe', 'pipe'], env: this.#env() });
    live.add(child);
    this.#child = child;
    child.once('exit', () => {
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
    });
    child.stdin.end(this.#config());
    await waitForReady(child, binary, this.#options.startTimeout ?? 10_000);
  }

  #env(): NodeJS.ProcessEnv {
    return this.#options.fakeClock === true ? fakeClockEnv(this.dir) : process.env;
  }

  async #signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }
}
