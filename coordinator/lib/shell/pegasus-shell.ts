import { ExecError, TimeoutError, UsageError } from '../../../shared/errors';
import { formatArgv } from './argv';
import { prepare, ShellBanner } from './output';
import { parseClusterInfo } from './parse-cluster-info';
import { parseListApps } from './parse-ls';
import { parseGetMetaLevel, parseSetMetaLevel } from './parse-meta-level';
import { parseListNodes } from './parse-nodes';
import { parseRecover } from './parse-recover';
import { parseServerInfo } from './parse-server-info';
import { RunFn, RunResult, runProcess } from './run';
import { AppList, ClusterInfo, META_LEVELS, MetaLevel, NodeList, RecoverResult, ServerInfo } from './types';

/** Defaults of PegasusShellOptions. */
export const SHELL_DEFAULTS = {
  /** One command, from start to exit. The shell itself waits up to ~1 s for a meta at start. */
  timeoutMs: 60_000,
  /** The shell's own default for `recover -w` (docs/pegasus-internals.md §4.7). */
  recoverWaitSeconds: 100,
  /** Added to `recover`'s wait time to get its process deadline. */
  recoverSlackMs: 30_000,
} as const;

export interface PegasusShellOptions {
  /** The shell's command line as argv, e.g. an inventory cluster's `shell.argv`. Run without a shell. */
  argv: string[];
  /** Deadline for one command, start to exit; the process tree is killed when it passes. @default 60000 */
  timeoutMs?: number;
  /** Environment of the shell process. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Process runner, injected by tests. @default runProcess */
  run?: RunFn;
  /** Time between SIGTERM and SIGKILL on timeout. @default 2000 */
  killGraceMs?: number;
}

/** What one shell session printed. */
export interface ShellOutput {
  command: string;
  /** stdout, then stderr: the shell prints some answers (server_info ≤ v2.5.0) and argument errors on stderr. */
  text: string;
  banner: ShellBanner;
  run: RunResult;
}

export interface RecoverOptions {
  /** A file of `host:port` lines on this machine (`-f`). Exactly one of nodesFile and nodes. */
  nodesFile?: string;
  /** Replica servers to collect from (`-s h:p,h:p`). */
  nodes?: string[];
  /** How long the shell waits for the meta's answer (`-w`). @default 100 */
  waitSeconds?: number;
  /** Go on when a node does not answer (`-b`): may lose data. @default false */
  skipBadNodes?: boolean;
  /** Create partitions with no replica empty (`-l`): loses their data. @default false */
  skipLostPartitions?: boolean;
}

export interface MetaLevelChange {
  level: MetaLevel;
  oldLevel: MetaLevel;
  /** False when the stored level already was `level`. */
  changed: boolean;
}

/**
 * The Pegasus admin shell, one command per process: each call starts the configured command line,
 * writes the command to stdin, closes it, and parses what was printed. The shell's exit status
 * means nothing (always 0, docs/pegasus-internals.md §4.1), so failures come from its text, as ShellCommandError.
 * Output format (tabular or JSON, v2.5.0 or master) is detected per output.
 */
export class PegasusShell {
  private readonly argv: string[];
  private readonly timeoutMs: number;
  private readonly run: RunFn;

  constructor(private readonly opts: PegasusShellOptions) {
    if (opts.argv.length === 0 || opts.argv[0] === '') throw new UsageError('the Pegasus shell command line is empty');
    this.argv = [...opts.argv];
    this.timeoutMs = opts.timeoutMs ?? SHELL_DEFAULTS.timeoutMs;
    this.run = opts.run ?? runProcess;
  }

  /** For a cluster of the inventory. */
  static forCluster(cluster: { shell: { argv: string[] } }, opts: Omit<PegasusShellOptions, 'argv'> = {}): PegasusShell {
    return new PegasusShell({ ...opts, argv: cluster.shell.argv });
  }

  /** Run one raw command and return what it printed, without interpreting it. */
  async exec(command: string, opts: { timeoutMs?: number } = {}): Promise<ShellOutput> {
    if (/[\r\n]/.test(command) || command.trim() === '') {
      throw new UsageError(`a shell command must be one non-empty line, got ${JSON.stringify(command)}`);
    }
    const run = await this.run(this.argv, {
      input: `${command}\n`,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
    }).catch((e: unknown) => {
      // The runner knows the argv, not the command it was fed on stdin; at 3 a.m. the operator
      // needs both to tell "cluster_info hung" from "recover hung".
      if (e instanceof TimeoutError) throw new TimeoutError(`Pegasus shell command "${command}": ${e.message}`, { cause: e, context: e.context });
      throw e;
    });
    // A shell that died of a signal printed half an answer: say so rather than "truncated output?".
    if (run.signal !== null) {
      throw new ExecError(run.argv, run.exitCode, run.signal, run.stderr, `Pegasus shell command "${command}": ${formatArgv(run.argv)} was killed by ${run.signal}`, {
        context: { stdout: run.stdout.slice(-2000), stderr: run.stderr.slice(-2000) },
      });
    }
    const text = run.stderr === '' ? run.stdout : `${run.stdout}${run.stdout.endsWith('\n') || run.stdout === '' ? '' : '\n'}${run.stderr}`;
    return { command, text, banner: prepare(command, run.stdout).banner, run };
  }

  async clusterInfo(opts: { json?: boolean } = {}): Promise<ClusterInfo> {
    const cmd = opts.json ? 'cluster_info -j' : 'cluster_info';
    return parseClusterInfo((await this.exec(cmd)).text, cmd);
  }

  /** `ls`: available tables; `all` adds dropped ones; `detailed` adds the health table. */
  async listApps(opts: { detailed?: boolean; all?: boolean; json?: boolean } = {}): Promise<AppList> {
    const cmd = ['ls', opts.detailed ? '-d' : '', opts.all ? '-a' : '', opts.json ? '-j' : ''].filter(Boolean).join(' ');
    return parseListApps((await this.exec(cmd)).text, cmd);
  }

  /** `nodes`: every replica server the leader knows; `detailed` adds replica counts. */
  async listNodes(opts: { detailed?: boolean; json?: boolean } = {}): Promise<NodeList> {
    const cmd = ['nodes', opts.detailed ? '-d' : '', opts.json ? '-j' : ''].filter(Boolean).join(' ');
    return parseListNodes((await this.exec(cmd)).text, cmd);
  }

  /** The *stored* level (cluster_info shows the effective one, which may be `freezed`). */
  async getMetaLevel(): Promise<MetaLevel> {
    return parseGetMetaLevel((await this.exec('get_meta_level')).text);
  }

  async setMetaLevel(level: MetaLevel): Promise<MetaLevelChange> {
    if (!(META_LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`meta level ${JSON.stringify(level)} is not one of ${META_LEVELS.join(', ')}`);
    }
    const cmd = `set_meta_level ${level}`;
    const { oldLevel } = parseSetMetaLevel((await this.exec(cmd)).text, cmd);
    return { level, oldLevel, changed: oldLevel !== level };
  }

  /**
   * `recover`: rebuild the metadata of a meta in recovery mode from the replica servers
   * (docs/pegasus-internals.md §4.7, §5). Resolves only on `Recover result: ERR_OK`; its hints (lost replicas,
   * renamed tables) are in the result and must be shown to the operator.
   */
  async recover(opts: RecoverOptions): Promise<RecoverResult> {
    const cmd = recoverCommand(opts);
    const wait = opts.waitSeconds ?? SHELL_DEFAULTS.recoverWaitSeconds;
    const timeoutMs = Math.max(this.timeoutMs, wait * 1000 + SHELL_DEFAULTS.recoverSlackMs);
    return parseRecover((await this.exec(cmd, { timeoutMs })).text, cmd);
  }

  /** Versions and start times of the metas and/or replica servers. */
  async serverInfo(opts: { target?: 'all' | 'meta-server' | 'replica-server' } = {}): Promise<ServerInfo> {
    const cmd = opts.target && opts.target !== 'all' ? `server_info -t ${opts.target}` : 'server_info';
    return parseServerInfo((await this.exec(cmd)).text, cmd);
  }
}

/** The `recover` command line for `opts`, validated (the shell would only complain on stderr). */
export function recoverCommand(opts: RecoverOptions): string {
  if ((opts.nodesFile === undefined) === (opts.nodes === undefined)) {
    throw new UsageError('recover needs exactly one of nodesFile and nodes');
  }
  const parts = ['recover'];
  if (opts.nodesFile !== undefined) {
    if (!/^\S+$/.test(opts.nodesFile)) throw new UsageError(`recover nodes file ${JSON.stringify(opts.nodesFile)} must be a path without spaces`);
    parts.push('-f', opts.nodesFile);
  } else {
    const nodes = opts.nodes!;
    if (nodes.length === 0) throw new UsageError('recover needs at least one replica server');
    for (const n of nodes) {
      if (!/^(?:[A-Za-z0-9_.-]+|\[[0-9a-fA-F:.]+\]):\d{1,5}$/.test(n)) throw new UsageError(`recover node ${JSON.stringify(n)} is not host:port`);
    }
    parts.push('-s', nodes.join(','));
  }
  if (opts.waitSeconds !== undefined) {
    if (!Number.isInteger(opts.waitSeconds) || opts.waitSeconds <= 0) throw new UsageError(`recover waitSeconds must be a positive integer, got ${opts.waitSeconds}`);
    parts.push('-w', String(opts.waitSeconds));
  }
  if (opts.skipBadNodes) parts.push('-b');
  if (opts.skipLostPartitions) parts.push('-l');
  return parts.join(' ');
}
