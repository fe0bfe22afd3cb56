/** What every service backend reports and does; service-control.ts drives them the same way. */

/** systemd's ActiveState vocabulary (systemctl(1)); the command backend uses active, inactive and failed. */
export type ActiveState = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating' | 'reloading' | 'unknown';

export interface ServiceStatus {
  name: string;
  backend: 'systemd' | 'command';
  state: ActiveState;
  /** systemd SubState (running, dead, auto-restart...); command backend: running or dead. */
  subState: string;
  /** 0 when not running. */
  mainPid: number;
  /** systemd NRestarts; command backend: starts by this agent that died in their grace period. */
  nRestarts: number;
  /** Exit status of the last run of the main process; -1 when unknown. */
  execMainStatus: number;
  unit: string;
  configFile: string;
  detail: string;
  /**
   * When the current (or last) run of the main process started, as the backend knows it ('' when
   * unknown): systemd ExecMainStartTimestampMonotonic, the command backend's pid file mtime. Part of
   * what `changed` is derived from, so a start whose process then died still counts as a change.
   */
  startedAt: string;
}

export interface ServiceBackend {
  status(): Promise<ServiceStatus>;
  /** Issue the start and return; throws ExecError when the start command itself fails. */
  start(timeoutMs: number): Promise<void>;
  /** Stop and wait until stopped; throws TimeoutError/ExecError when it cannot. */
  stop(timeoutMs: number): Promise<void>;
  /** The end of the service's log, for failure messages ('' when there is none). */
  logTail(): Promise<string>;
}

export function isUp(s: ServiceStatus): boolean {
  return s.state === 'active' || s.state === 'reloading';
}

export function summary(s: ServiceStatus): string {
  return `state: ${s.state}${s.subState ? ` (${s.subState})` : ''}\nmain_pid: ${s.mainPid}\nn_restarts: ${s.nRestarts}\n`;
}
