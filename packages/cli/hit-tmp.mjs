import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { Redis } from 'ioredis';
import { openCache } from './dist/bench/cache-libraries.js';
const [server] = await startRedisServers(1);
const raw = new Redis({ path: server.socket });
const libs = await Promise.all(['redsync-ts', 'cache-manager 7.2.9', 'async-cache-dedupe 3.4.0'].map((n) => openCache(n, server.socket, 600000)));
await Promise.all(libs.map((l) => l.get('k', async () => 'x'.repeat(200))));
await raw.set('f', await raw.get('cache:k'));
const measure = async (f) => { const out = []; for (let i = 0; i < 3000; i++) { const t = performance.now(); await f(); out.push(performance.now() - t); } out.sort((a, b) => a - b); return out[1500]; };
for (let r = 0; r < 3; r++) {
  const row = [await measure(() => raw.get('f'))];
  for (const l of libs) row.push(await measure(() => l.get('k', async () => 'y')));
  console.log(row.map((x) => (x * 1000).toFixed(1)).join(' us  '));
}
for (const l of libs) await l.close(); raw.disconnect(); await stopRedisServers([server]);
