import { spawn } from 'node:child_process';
import { AppError, TimeoutError } from '../../../shared/errors';
import { formatArgv } from './argv';
import { debug } from '../../../shared/debug';

/**
 * Run a command-line program (the Pegasus shell) with text on stdin and a deadline.
 *
 * - argv only, never through /bin/sh; `LC_ALL=C` so that messages are not translated;
 * - stdin gets `input` and is then closed: the shell reads commands from a pipe and exits at EOF
 *   (docs/pegasus-internals.md §4.1);
 * - the child runs in its own process group, so on timeout the whole tree is killed: `run.sh shell`
 *   starts `pegasus_shell` as a child, and killing only run.sh would leave it running. SIGTERM
 *   first, SIGKILL after `killGraceMs`. The other side of the own group: a Ctrl-C on the terminal
 *   does not reach the shell, which is harmless because its stdin is already closed and it exits
 *   once the command is done;
 * - stdout and stderr are captured separately (the exit status carries no meaning for the shell);
 * - zkmig's own secrets (SECRET_ENV) are removed from the child's environment: the shell has no
 *   use for them, and a child's environment is readable in /proc/PID/environ by its user.
 */

/** Variables that hold zkmig credentials; never passed to a child process. */
export const SECRET_ENV: readonly string[] = ['ZKMIG_ZK_AUTH'];

/** `env` without zkmig's credentials. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of SECRET_ENV) delete out[k];
  return out;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input: string;
  /** Deadline for the whole run, start to exit. */
  timeoutMs: number;
  /** Environment of the child; `LC_ALL=C` is always added. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Time between SIGTERM and SIGKILL on timeout. @default 2000 */
  killGraceMs?: number;
  /** Output beyond this many bytes per stream is an error (a runaway child). @default 64 MiB */
  maxOutputBytes?: number;
}

export interface RunResult {
  argv: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The process runner, injectable so that unit tests of the shell API need no child process. */
export type RunFn = (argv: string[], opts: RunOptions) => Promise<RunResult>;

export const runProcess: RunFn = (argv, opts) =>
  new Promise<RunResult>((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined || file === '') {
      reject(new AppError('INTERNAL', 'runProcess: empty argv'));
      return;
    }
    const started = Date.now();
    const killGraceMs = opts.killGraceMs ?? 2000;
    const maxBytes = opts.maxOutputBytes ?? 64 * 1024 * 1024;
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...childEnv(opts.env ?? process.env), LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: AppError | undefined;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const abort = (e: AppError): void => {
      if (failure) return;
      failure = e;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => {
        killGroup('SIGKILL');
        // Give up waiting for the pipes to close if even SIGKILL is not enough (a process stuck
        // in the kernel): better to report the timeout than to hang.
        killTimer = setTimeout(() => settle(), 5000);
      }, killGraceMs);
    };
    const settle = (exitCode: number | null = null, signal: NodeJS.Signals | null = null): void => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      if (settled) return;
      settled = true;
      if (failure) {
        // We started the kill: make sure nothing of the group survives SIGTERM.
        killGroup('SIGKILL');
        reject(failure);
        return;
      }
      debug('shell', () => `${formatArgv(argv)}: exit ${exitCode ?? signal} in ${Date.now() - started} ms, ${outBytes} bytes out, ${errBytes} bytes err`);
      resolve({
        argv,
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Date.now() - started,
      });
    };
    const deadline = setTimeout(() => {
      abort(
        new TimeoutError(`${formatArgv(argv)} did not finish within ${opts.timeoutMs} ms; killed it`, {
          context: { argv, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') },
        }),
      );
    }, opts.timeoutMs);

    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxBytes) abort(new AppError('INTERNAL', `${formatArgv(argv)} wrote more than ${maxBytes} bytes to stdout; killed it`));
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      errBytes += b.length;
      if (errBytes > maxBytes) abort(new AppError('INTERNAL', `${formatArgv(argv)} wrote more than ${maxBytes} bytes to stderr; killed it`));
      else err.push(b);
    });
    // A child that exits without reading all of stdin makes our write fail with EPIPE: that is
    // its business, the output tells what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);

    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      if (killTimer) clearTimeout(killTimer);
      if (settled) return;
      settled = true;
      const code = e.code === 'ENOENT' ? 'NOT_FOUND' : e.code === 'EACCES' ? 'PERMISSION_DENIED' : 'INTERNAL';
      reject(new AppError(code, `cannot run ${formatArgv(argv)}: ${e.message}`, { cause: e, context: { argv } }));
    });
    // 'close' fires once the process has exited and its stdout/stderr are drained.
    child.on('close', (exitCode, signal) => settle(exitCode, signal));
  });
