/**
 * `redsync run`'s command line: `[options] NAME [--] COMMAND [ARGS...]`. The command starts at
 * `--` or at the first word after NAME; everything from there on is the command's own, flags
 * included (`redsync run job -- ls -la`).
 */
import { UsageError, nodeUrls, seconds } from '../cli-args.js';

export interface RunArgs {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly urls: readonly string[];
  /** undefined: wait as long as it takes; 0: one attempt. In ms. */
  readonly waitMs: number | undefined;
  readonly conflictExitCode: number;
  readonly ttlMs: number;
  readonly maxHoldMs: number;
  readonly fencing: boolean;
  readonly killAfterMs: number;
  /** `--once-per`: the period's length in ms. */
  readonly oncePerMs: number | undefined;
  readonly prefix: string;
  readonly verbose: boolean;
}

/** Options that take a value, by every spelling. */
const VALUED: Record<string, string> = {
  '-w': 'wait', '--wait': 'wait', '--timeout': 'wait', '-E': 'conflict-exit-code', '--conflict-exit-code': 'conflict-exit-code',
  '--ttl': 'ttl', '--max-hold': 'max-hold', '--kill-after': 'kill-after', '--once-per': 'once-per', '--redis': 'redis', '--prefix': 'prefix',
};
const FLAGS: Record<string, string> = { '-n': 'nonblock', '--nonblock': 'nonblock', '--nb': 'nonblock', '--fencing': 'fencing', '-v': 'verbose', '--verbose': 'verbose' };

/** Parses `argv` (after `run`). @throws UsageError */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv): RunArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  let name: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i += 1;
      break;
    }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const valued = VALUED[flag];
    if (valued !== undefined) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      values.set(valued, [...(values.get(valued) ?? []), value]);
    } else if (FLAGS[flag] !== undefined) flags.add(FLAGS[flag]);
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else if (name === undefined) name = arg;
    else break;
  }
  if (name === undefined) throw new UsageError('missing NAME');
  const [command, ...args] = argv.slice(i);
  if (command === undefined) throw new UsageError('missing COMMAND');
  const last = (key: string): string | undefined => values.get(key)?.at(-1);
  const wait = last('wait');
  const waitMs = flags.has('nonblock') ? 0 : wait === undefined ? undefined : seconds('--wait', wait, true);
  const code = Number(last('conflict-exit-code') ?? 1);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new UsageError(`--conflict-exit-code must be an integer from 0 to 255, got ${String(last('conflict-exit-code'))}`);
  const maxHold = last('max-hold');
  const oncePer = last('once-per');
  return {
    name,
    command,
    args,
    urls: nodeUrls(values.get('redis'), env),
    waitMs,
    conflictExitCode: code,
    ttlMs: seconds('--ttl', last('ttl') ?? '8', false),
    maxHoldMs: maxHold === undefined ? Number.POSITIVE_INFINITY : seconds('--max-hold', maxHold, false),
    fencing: flags.has('fencing'),
    killAfterMs: seconds('--kill-after', last('kill-after') ?? '10', true),
    oncePerMs: oncePer === undefined ? undefined : seconds('--once-per', oncePer, false),
    prefix: last('prefix') ?? '',
    verbose: flags.has('verbose'),
  };
}
