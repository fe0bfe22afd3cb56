/**
 * Host commands, always as argv arrays (never a shell string) with `LC_ALL=C` so that parsers see
 * the C locale's output (Ansible's sysrc/systemd modules do the same). Operations take `Exec` as a
 * dependency so unit tests pass a fake.
 */
import { spawn } from 'node:child_process';
import { TimeoutError } from '../shared/errors';

export interface ExecResult {
  argv: readonly string[];
  /** null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) and throw TimeoutError after this long. @default 30000 */
  timeoutMs?: number;
  /** Added to the base environment (PATH, LC_ALL=C). @default {} */
  env?: Record<string, string>;
  /** @default '/' */
  cwd?: string;
  /** Run as this uid and gid (libuv also drops the supplementary groups). @default the agent's */
  uid?: number;
  gid?: number;
  /** Output kept per stream; the rest is dropped (a runaway command must not eat the agent's memory). @default 1048576 */
  maxOutputBytes?: number;
}

export type Exec = (argv: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** The fixed base environment of every command the agent runs. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
  LANG: 'C',
};

/** Run argv[0] (an absolute path) with argv[1..]; resolves with the result whatever the exit code. */
export const execArgv: Exec = (argv, opts = {}) =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const max = opts.maxOutputBytes ?? 1 << 20;
    const [bin, ...args] = argv;
    if (!bin) {
      reject(new TypeError('exec: empty argv'));
      return;
    }
    const child = spawn(bin, args, {
      cwd: opts.cwd ?? '/',
      env: { ...BASE_ENV, ...opts.env },
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b.subarray(0, max - outLen));
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < max) err.push(b.subarray(0, max - errLen));
      errLen += b.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        argv,
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Date.now() - started,
      };
      if (timedOut) {
        reject(new TimeoutError(`${argv.join(' ')} did not finish within ${opts.timeoutMs ?? 30000} ms`, { context: { argv, stderr: result.stderr } }));
        return;
      }
      resolve(result);
    });
  });
