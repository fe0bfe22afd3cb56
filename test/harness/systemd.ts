import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from './tmp';

/**
 * A private systemd as PID 1 in its own PID and mount namespaces, for tests about the real
 * deployment path (units, hardening, the journal). The host's systemd is not PID 1 here
 * (container), so this is the only real systemd a test can get.
 *
 * Boot: `unshare --fork --pid --mount --mount-proc sh boot.sh`; the script mounts a private tmpfs
 * on /run (so unit files and the journal socket live only in this namespace), writes a minimal
 * target that pulls in journald and nothing else, and execs /lib/systemd/systemd as PID 1.
 * `nsenter -t PID -m -p` drives it. The network namespace is shared, so agents it runs listen on
 * the host's loopback and the coordinator under test reaches them from outside.
 */

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TARGET = `[Unit]
Description=zkmig test target: journald and nothing else
Wants=systemd-journald.socket systemd-journald.service
After=systemd-journald.socket systemd-journald.service
AllowIsolate=yes
`;

const MASKED = [
  'systemd-tmpfiles-setup.service',
  'systemd-tmpfiles-setup-dev.service',
  'systemd-tmpfiles-setup-dev-early.service',
  'systemd-tmpfiles-clean.service',
  'systemd-tmpfiles-clean.timer',
  'tmp.mount',
];

export class PrivateSystemd {
  private constructor(
    private readonly unshare: ChildProcess,
    /** PID of systemd (PID 1 inside), as seen from the host. */
    readonly pid: number,
    private readonly cleanupDir: () => void,
    readonly logFile: string,
  ) {}

  static async boot(timeoutMs = 30000): Promise<PrivateSystemd> {
    for (const bin of ['/usr/bin/unshare', '/usr/bin/nsenter', '/lib/systemd/systemd']) {
      if (!fs.existsSync(bin)) throw new Error(`cannot boot a private systemd: ${bin} is missing (apt-get install systemd util-linux)`);
    }
    if (process.getuid?.() !== 0) throw new Error('cannot boot a private systemd: namespaces need root, and these tests run as uid ' + process.getuid?.());
    // Outside /tmp: units with PrivateTmp= (the agent's) must still see what the tests write.
    fs.mkdirSync('/var/lib/zkmig-test', { recursive: true });
    const tmp = { dir: fs.mkdtempSync('/var/lib/zkmig-test/systemd-'), cleanup: () => undefined as void };
    tmp.cleanup = () => fs.rmSync(tmp.dir, { recursive: true, force: true });
    const script = path.join(tmp.dir, 'boot.sh');
    fs.writeFileSync(
      script,
      [
        'set -e',
        'mount -t tmpfs -o mode=755 tmpfs /run',
        'mkdir -p /run/systemd/system',
        // systemd-tmpfiles-setup runs `--remove --boot`, which empties /tmp (tmp.conf `D /tmp`); any
        // unit with PrivateTmp= pulls it in. /tmp is the host's here (tests and CI clones live
        // there, and units must see them), so mask every tmpfiles unit instead.
        ...MASKED.map((u) => `ln -sf /dev/null /run/systemd/system/${u}`),
        // A journal of this boot only (Debian keeps a persistent one in /var/log/journal).
        'mkdir -p /var/log/journal && mount -t tmpfs -o mode=2755 tmpfs /var/log/journal',
        `cat > /run/systemd/system/zkmig-test.target <<'UNIT'\n${TARGET}UNIT`,
        'exec /lib/systemd/systemd --unit=zkmig-test.target --log-target=console --show-status=0',
      ].join('\n') + '\n',
    );
    const logFile = path.join(tmp.dir, 'systemd.log');
    const log = fs.openSync(logFile, 'a');
    const unshare = spawn('/usr/bin/unshare', ['--fork', '--pid', '--mount', '--mount-proc', 'sh', script], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const exited = new Promise<number | null>((r) => unshare.once('exit', (c) => r(c)));
    const why = (): string => `systemd log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`;
    let pid: number;
    try {
      pid = await waitFor(
        'systemd to become PID 1 of the new namespace',
        async () => {
          if (unshare.exitCode !== null) throw new Error(`unshare exited with ${unshare.exitCode}: the machine does not allow a namespace boot. ${why()}`);
          const kids = fs.readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
          const child = Number(kids.split(/\s+/)[0]);
          if (!child) return 0;
          const comm = fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim();
          return comm === 'systemd' ? child : 0;
        },
        timeoutMs,
      );
    } catch (e) {
      unshare.kill('SIGKILL');
      await exited;
      tmp.cleanup();
      throw new Error(`cannot boot a private systemd: ${(e as Error).message}\n${why()}`);
    }
    const sd = new PrivateSystemd(unshare, pid, tmp.cleanup, logFile);
    try {
      await waitFor(
        'the private systemd to finish booting',
        async () => {
          const r = await sd.exec(['systemctl', 'is-system-running']);
          if (/^(running|degraded)/.test(r.stdout)) return true;
          if (unshare.exitCode !== null) throw new Error(`systemd exited: ${why()}`);
          return false;
        },
        timeoutMs,
        100,
      );
    } catch (e) {
      await sd.shutdown();
      throw new Error(`private systemd did not boot: ${(e as Error).message}`);
    }
    return sd;
  }

  /** Run a command inside the namespaces (argv list, no shell). */
  exec(argv: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string> } = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = execFile(
        '/usr/bin/nsenter',
        ['-t', String(this.pid), '-m', '-p', '--', 'env', 'LC_ALL=C', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`), ...argv],
        { timeout: opts.timeoutMs ?? 60000, maxBuffer: 64 << 20, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  systemctl(...args: string[]): Promise<ExecResult> {
    return this.exec(['systemctl', '--no-pager', ...args]);
  }

  /** `systemctl show UNIT` as a map. */
  async show(unit: string): Promise<Record<string, string>> {
    const r = await this.systemctl('show', unit);
    const out: Record<string, string> = {};
    for (const line of r.stdout.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }

  /** Journal entries as parsed JSON objects (`journalctl -o json`), with extra filters. */
  async journal(...filters: string[]): Promise<Record<string, unknown>[]> {
    const r = await this.exec(['journalctl', '--no-pager', '-o', 'json', ...filters]);
    return r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Power off and wait for the namespace to go; kills it if poweroff hangs. */
  async shutdown(timeoutMs = 20000): Promise<void> {
    if (this.unshare.exitCode === null && this.unshare.signalCode === null) {
      const exited = new Promise<void>((r) => this.unshare.once('exit', () => r()));
      await this.exec(['systemctl', 'poweroff'], { timeoutMs: 5000 });
      const t = setTimeout(() => {
        try {
          process.kill(this.pid, 'SIGKILL'); // PID 1 of the namespace: everything inside dies with it
        } catch {
          /* gone */
        }
      }, timeoutMs);
      await exited;
      clearTimeout(t);
    }
    this.cleanupDir();
  }
}
