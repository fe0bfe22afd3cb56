/**
 * The `systemd` backend: `systemctl` run as an argv list with LC_ALL=C (agent/exec.ts), state read
 * from `systemctl show`. Parsing is in small pure functions tested against captured output
 * (test/fixtures/systemd/), as Ansible's parse_systemctl_show is.
 */
import { ExecError, NotFoundError } from '../../shared/errors';
import type { Exec } from '../exec';
import type { ActiveState, ServiceBackend, ServiceStatus } from './service-types';

/** The properties we ask for; `systemctl show` prints them as `Key=Value`, one per line. */
export const SHOW_PROPERTIES = ['Id', 'LoadState', 'ActiveState', 'SubState', 'MainPID', 'NRestarts', 'ExecMainStatus', 'ExecMainCode', 'Result', 'UnitFileState', 'ExecMainStartTimestampMonotonic'];

const STATES: readonly ActiveState[] = ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading'];

/**
 * `systemctl show` output as a map. Values can contain `=` (split on the first one only) and are
 * not quoted. Multi-line values do not occur for the properties above (systemd 252, Debian 12).
 */
export function parseSystemctlShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).replace(/\r$/, '');
  }
  return out;
}

function int(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '' || v === '[not set]') return dflt;
  const n = Number(v);
  return Number.isInteger(n) ? n : dflt;
}

/** Our status from parsed `systemctl show` properties. */
export function toServiceStatus(props: Record<string, string>, name: string, unit: string, configFile: string): ServiceStatus {
  const active = props.ActiveState ?? '';
  const load = props.LoadState ?? '';
  return {
    name,
    backend: 'systemd',
    state: (STATES as readonly string[]).includes(active) ? (active as ActiveState) : 'unknown',
    subState: props.SubState ?? '',
    mainPid: int(props.MainPID, 0),
    nRestarts: int(props.NRestarts, 0),
    execMainStatus: int(props.ExecMainStatus, -1),
    unit,
    configFile,
    startedAt: props.ExecMainStartTimestampMonotonic ?? '',
    detail: [`LoadState=${load}`, props.Result ? `Result=${props.Result}` : '', props.UnitFileState ? `UnitFileState=${props.UnitFileState}` : ''].filter(Boolean).join(' '),
  };
}

/** True when systemctl says the unit does not exist (LoadState=not-found). */
export function isNotFound(props: Record<string, string>): boolean {
  return props.LoadState === 'not-found';
}

export class SystemdBackend implements ServiceBackend {
  constructor(
    private readonly systemctl: string,
    private readonly name: string,
    private readonly unit: string,
    private readonly configFile: string,
    private readonly exec: Exec,
    /** Absolute path of journalctl, for the log tail of a failed start; null when absent. */
    private readonly journalctl: string | null = null,
  ) {}

  private async run(args: string[], timeoutMs: number): Promise<string> {
    const argv = [this.systemctl, ...args];
    const r = await this.exec(argv, { timeoutMs });
    if (r.exitCode !== 0) {
      throw new ExecError(argv, r.exitCode, r.signal, r.stderr, `${argv.join(' ')} exited with ${r.exitCode ?? r.signal}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    return r.stdout;
  }

  async status(): Promise<ServiceStatus> {
    const props = parseSystemctlShow(await this.run(['show', `--property=${SHOW_PROPERTIES.join(',')}`, '--', this.unit], 15000));
    if (isNotFound(props)) throw new NotFoundError(`unit ${this.unit} (service ${this.name}) is not loaded: LoadState=not-found`);
    return toServiceStatus(props, this.name, this.unit, this.configFile);
  }

  async start(timeoutMs: number): Promise<void> {
    // Without --no-block, systemctl waits for the start job: for Type=simple that is the fork, so
    // success here does not mean the service stayed up; service-control.ts watches for that.
    // `--`: a unit name is never read as an option (config-validate.ts also refuses a leading `-`).
    await this.run(['start', '--', this.unit], timeoutMs);
  }

  async stop(timeoutMs: number): Promise<void> {
    await this.run(['stop', '--', this.unit], timeoutMs);
  }

  async logTail(): Promise<string> {
    if (!this.journalctl) return '';
    try {
      const r = await this.exec([this.journalctl, '--no-pager', '-o', 'cat', '-n', '20', `--unit=${this.unit}`], { timeoutMs: 5000 });
      return r.exitCode === 0 ? r.stdout.trimEnd() : '';
    } catch {
      return '';
    }
  }
}
