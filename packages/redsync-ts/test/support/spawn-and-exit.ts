// Starts a server, prints its pid and exits without stopping it: the kit must kill it anyway.
import { startRedisServer } from '../../src/testing/index.js';

const server = await startRedisServer();
process.stdout.write(`${String(server.pid)}\n`);
process.exit(0);
