#!/usr/bin/env node
/**
 * The `redsync` command: `run` (a command under a lock, like flock across machines), `inspect`
 * (a lock's state on every node), `stats` (the INFO monitor) and `demo`. Exit codes follow sysexits: 64 for usage errors,
 * 69 when Redis cannot be reached, 70 for internal failures; `run` exits with its command's.
 */
import { UsageError } from './cli-args.js';
import { DEMO_USAGE, demoCommand } from './demo/command.js';
import { INSPECT_USAGE, inspectCommand } from './inspect/command.js';
import { RUN_USAGE, runCommand } from './run/command.js';
import { STATS_USAGE, statsCommand } from './stats/command.js';

const USAGE = `usage: redsync <command> [options]

commands:
  run       run a command under a lock (flock-style; renewed while it runs)
  inspect   show a lock's state on every node
  stats     the INFO monitor: hit rate, memory, evictions (--watch, --json, --prometheus)
  demo      the oversell and cache demo on temporary redis-servers

Run "redsync <command> --help" for a command's options.
  -h, --help       this text
  -V, --version    the version`;

const COMMANDS: Record<string, { usage: string; run: (argv: string[]) => Promise<number> }> = {
  run: { usage: RUN_USAGE, run: runCommand },
  inspect: { usage: INSPECT_USAGE, run: inspectCommand },
  stats: { usage: STATS_USAGE, run: statsCommand },
  demo: { usage: DEMO_USAGE, run: demoCommand },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    console.log(USAGE);
    return 0;
  }
  if (name === '-V' || name === '--version') {
    console.log('redsync 0.1.0');
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    console.error(`${name === undefined ? 'missing command' : `unknown command ${JSON.stringify(name)}`}\n\n${USAGE}`);
    return 64;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`redsync ${String(name)}: ${error.message}\n\n${command.usage}`);
    return 64;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`redsync: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 70;
  },
);
