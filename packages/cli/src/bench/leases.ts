/**
 * `npm run bench:leases`: many locks held with auto-renewal for a while, beside a hand-written
 * batched renewer in the same run. Reports client heap per held lock, active timers, idle CPU,
 * and checks that every lock is still in Redis at the end and gone after release.
 * Run with --expose-gc (the npm script does) so heap figures are taken after a full collection.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Redsync, fromIoredis, type Lock } from 'redsync-ts';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';

const { values } = parseArgs({
  options: {
    locks: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    ttl: { type: 'string', default: '5000' },
    nodes: { type: 'string', default: '1' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const LOCKS = Number(values.locks);
const SECONDS = Number(values.seconds);
const TTL = Number(values.ttl);
const NODES = Number(values.nodes);
const CHUNK = 256;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** The hand-written renewer's script: the same compare-and-PEXPIRE over many keys. */
const EXTEND_MANY = `for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then redis.call('PEXPIRE', key, ARGV[#ARGV]) end
end
return 0`;

interface PhaseResult {
  readonly heapBytesPerLock: number;
  readonly timers: number;
  readonly cpuMsPerSecond: number;
  readonly allPresentAtEnd: boolean;
  readonly allGoneAfterRelease: boolean;
}

/**
 * Live timers, counted by wrapping setTimeout/setInterval: getActiveResourcesInfo() does not list
 * unref'd timers, and the lease keeper's timer is unref'd.
 */
const live = new Set<unknown>();
const timers = (): number => live.size;
{
  const { setTimeout: st, clearTimeout: ct, setInterval: si, clearInterval: ci } = globalThis;
  const track = <A extends unknown[]>(create: (...args: A) => NodeJS.Timeout, once: boolean) =>
    (...args: A): NodeJS.Timeout => {
      const [fire, ...rest] = args as unknown as [(...a: unknown[]) => void, ...unknown[]];
      const handle: NodeJS.Timeout = create(...([(...a: unknown[]) => {
        if (once) live.delete(handle);
        fire(...a);
      }, ...rest] as unknown as A));
      live.add(handle);
      return handle;
    };
  globalThis.setTimeout = track(st, true) as typeof setTimeout;
  globalThis.setInterval = track(si, false);
  globalThis.clearTimeout = ((handle?: NodeJS.Timeout) => {
    live.delete(handle);
    ct(handle);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((handle?: NodeJS.Timeout) => {
    live.delete(handle);
    ci(handle);
  }) as typeof clearInterval;
}

function heapNow(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function countHeld(clients: readonly Redis[], keys: readonly string[], values: readonly string[]): Promise<number[]> {
  return Promise.all(
    clients.map(async (client) => {
      let held = 0;
      for (let i = 0; i < keys.length; i += 1000) {
        const got = await client.mget(...keys.slice(i, i + 1000));
        got.forEach((v, j) => (held += v === values[i + j] ? 1 : 0));
      }
      return held;
    }),
  );
}

function phaseResult(heapBytesPerLock: number, timerCount: number, used: NodeJS.CpuUsage, held: number[], left: number[]): PhaseResult {
  return {
    heapBytesPerLock,
    timers: timerCount,
    cpuMsPerSecond: (used.user + used.system) / 1000 / SECONDS,
    allPresentAtEnd: held.every((h) => h === LOCKS),
    allGoneAfterRelease: left.every((h) => h === 0),
  };
}

async function libraryPhase(clients: readonly Redis[]): Promise<PhaseResult> {
  const rs = new Redsync(clients.map((c) => fromIoredis(c)), { ttl: TTL, maxHold: Number.POSITIVE_INFINITY });
  // The names are the caller's; create them before the baseline so the figure is the library's cost.
  const names = Array.from({ length: LOCKS }, (_, i) => `bench:lease:${String(i)}`);
  const timersBefore = timers();
  const heapBefore = heapNow();
  const locks: Lock[] = [];
  for (let i = 0; i < LOCKS; i += 500) {
    const batch = names.slice(i, i + 500).map((name) => rs.mutex(name).acquire({ autoExtend: true }));
    locks.push(...(await Promise.all(batch)));
  }
  const heapBytesPerLock = (heapNow() - heapBefore) / LOCKS;
  const timerCount = timers() - timersBefore;
  const cpu = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const used = process.cpuUsage(cpu);
  const held = await countHeld(clients, locks.map((l) => l.key), locks.map((l) => l.value));
  for (let i = 0; i < locks.length; i += 500) await Promise.all(locks.slice(i, i + 500).map((l) => l.release()));
  const left = await countHeld(clients, locks.map((l) => l.key), locks.map((l) => l.value));
  return phaseResult(heapBytesPerLock, timerCount, used, held, left);
}

async function floorPhase(clients: readonly Redis[]): Promise<PhaseResult> {
  const sha = String(await clients[0]?.script('LOAD', EXTEND_MANY));
  await Promise.all(clients.slice(1).map((c) => c.script('LOAD', EXTEND_MANY)));
  const keys = Array.from({ length: LOCKS }, (_, i) => `bench:floor:${String(i)}`);
  const timersBefore = timers();
  const heapBefore = heapNow();
  const values = keys.map((_, i) => `v${String(i)}-${String(Math.random())}`);
  for (const client of clients) {
    const pipeline = client.pipeline();
    keys.forEach((key, i) => pipeline.set(key, values[i] ?? '', 'PX', TTL, 'NX'));
    await pipeline.exec();
  }
  const renewAll = async (): Promise<void> => {
    const sends: Promise<unknown>[] = [];
    for (const client of clients) {
      for (let i = 0; i < keys.length; i += CHUNK) sends.push(client.evalsha(sha, Math.min(CHUNK, keys.length - i), ...keys.slice(i, i + CHUNK), ...values.slice(i, i + CHUNK), String(TTL)));
    }
    await Promise.all(sends);
  };
  const timer = setInterval(() => void renewAll(), TTL / 3);
  const heapBytesPerLock = (heapNow() - heapBefore) / LOCKS;
  const timerCount = timers() - timersBefore;
  const cpu = process.cpuUsage();
  await sleep(SECONDS * 1000);
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  const held = await countHeld(clients, keys, values);
  for (const client of clients) for (let i = 0; i < keys.length; i += 1000) await client.del(...keys.slice(i, i + 1000));
  const left = await countHeld(clients, keys, values);
  return phaseResult(heapBytesPerLock, timerCount, used, held, left);
}

const servers = await startRedisServers(NODES);
try {
  const clients = await Promise.all(
    servers.map(async (s) => {
      const client = new Redis({ path: s.socket, lazyConnect: true });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  console.error(`${String(LOCKS)} locks, ttl ${String(TTL)} ms, ${String(SECONDS)} s, ${String(NODES)} node(s)${gc.name === 'gc' ? '' : ' (no --expose-gc: heap figures are rough)'}`);
  const floor = await floorPhase(clients);
  const library = await libraryPhase(clients);
  const row = (name: string, r: PhaseResult): string =>
    `| ${name} | ${r.heapBytesPerLock.toFixed(0)} | ${String(r.timers)} | ${r.cpuMsPerSecond.toFixed(1)} | ${String(r.allPresentAtEnd)} | ${String(r.allGoneAfterRelease)} |`;
  const table = [
    '| renewer | heap bytes / lock | timers added | CPU ms per s | all held at end | all gone after release |',
    '|---|---|---|---|---|---|',
    row('hand-written batched (floor)', floor),
    row('redsync-ts autoExtend', library),
    '',
    `CPU ratio library / floor: ${(library.cpuMsPerSecond / floor.cpuMsPerSecond).toFixed(2)}`,
  ].join('\n');
  console.log(table);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/leases.json', JSON.stringify({ date: new Date().toISOString(), LOCKS, TTL, SECONDS, NODES, floor, library }, null, 2));
  if (values['write-docs']) {
    const redis = execFileSync('redis-server', ['--version']).toString().split(' ').slice(0, 3).join(' ');
    writeFileSync(
      'docs/benchmark-leases.md',
      `# Benchmark: held locks with auto-renewal\n\nWritten by \`npm run bench:leases -- --write-docs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${redis}, ${String(NODES)} local redis-server(s) on unix sockets, ioredis.\n${String(LOCKS)} locks held for ${String(SECONDS)} s at ttl ${String(TTL)} ms, renewed every ttl/3. The floor is a hand-written renewer: one \`setInterval\`, and every ttl/3 one EVALSHA of a compare-and-PEXPIRE script per ${String(CHUNK)} keys per node. Heap is measured after full collections (--expose-gc), before and after taking the locks; CPU is user+system over the holding period.\n\n${table}\n`,
    );
  }
  for (const c of clients) c.disconnect();
} finally {
  await stopRedisServers(servers);
}
