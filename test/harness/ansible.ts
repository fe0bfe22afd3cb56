/**
 * Runs the real `ansible-playbook` (Debian's ansible) against private-systemd hosts (systemd.ts).
 *
 * Ansible reaches a host without ssh: the `local` connection with the host's python interpreter set
 * to a two-line wrapper that runs python3 inside the host's mount and PID namespaces
 * (`nsenter -t PID -m -p`). Every module then runs there: systemctl talks to the host's private
 * systemd, and files land in its view of the file system (the same disk, with its own /run). Debian
 * 12's ansible ships no nsenter connection plugin (community.general 6.x), hence the wrapper.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './certs';

export const PLAYBOOK = path.join(REPO_ROOT, 'deploy', 'ansible', 'playbook.yml');

export interface AnsibleHost {
  name: string;
  /** PID of the host's systemd, as the test sees it. */
  systemdPid: number;
  vars: Record<string, unknown>;
}

export interface PlaybookRun {
  code: number;
  /** Per host: ok, changed, failures, unreachable, skipped (the json callback's stats). */
  stats: Record<string, { ok: number; changed: number; failures: number; unreachable: number; skipped: number }>;
  /** Names of the tasks that reported a change, per host. */
  changedTasks: Record<string, string[]>;
  /** "host: task: message" of every failed task. */
  failed: string[];
  stdout: string;
  stderr: string;
}

/** Write an inventory (YAML) for the hosts, with their namespace wrappers, under `dir`. */
export function writeAnsibleInventory(dir: string, hosts: AnsibleHost[], groupVars: Record<string, unknown>): string {
  const hostsOut: Record<string, unknown> = {};
  for (const h of hosts) {
    const wrapper = path.join(dir, `python-${h.name}`);
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/nsenter -t ${h.systemdPid} -m -p -- /usr/bin/python3 "$@"\n`, { mode: 0o755 });
    hostsOut[h.name] = { ansible_connection: 'local', ansible_python_interpreter: wrapper, ...h.vars };
  }
  const inv = path.join(dir, 'inventory.json');
  fs.writeFileSync(inv, JSON.stringify({ all: { children: { pegasus_meta: { hosts: hostsOut, vars: groupVars } } } }, null, 2));
  return inv;
}

/**
 * One `ansible-playbook` run. The default deadline is generous: on a loaded 2-core machine a run that
 * changes nothing still spends seconds per task starting python in the host's namespaces; a
 * deadline hit is reported in `stderr` (and code 124), never as a bare exit 1.
 */
export function runPlaybook(inventory: string, workDir: string, extraVars: Record<string, unknown> = {}, timeoutMs = 12 * 60000): Promise<PlaybookRun> {
  const env = {
    ...process.env,
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_LOCAL_TEMP: path.join(workDir, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: path.join(workDir, 'ansible-remote'),
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORKS: '4',
  };
  const args = ['-i', inventory, PLAYBOOK, '-e', JSON.stringify({ zkmig_agent_become: false, ...extraVars })];
  return new Promise((resolve) => {
    execFile('ansible-playbook', args, { env, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const killed = err && typeof (err as { code?: unknown }).code !== 'number';
      const code = err ? (killed ? 124 : (err as { code: number }).code) : 0;
      if (killed) stderr = `ansible-playbook killed (${(err as { signal?: string }).signal ?? 'no signal'}) after its ${timeoutMs} ms deadline\n${stderr}`;
      let stats: PlaybookRun['stats'] = {};
      const changedTasks: Record<string, string[]> = {};
      const failed: string[] = [];
      try {
        const doc = JSON.parse(stdout) as {
          stats: PlaybookRun['stats'];
          plays: { tasks: { task: { name: string }; hosts: Record<string, { changed?: boolean; failed?: boolean; msg?: string; stderr?: string }> }[] }[];
        };
        stats = doc.stats;
        for (const play of doc.plays) {
          for (const t of play.tasks) {
            for (const [h, r] of Object.entries(t.hosts)) {
              if (r.changed) (changedTasks[h] ??= []).push(t.task.name);
              if (r.failed) failed.push(`${h}: ${t.task.name}: ${r.msg ?? ''} ${r.stderr ?? ''}`.slice(0, 2000));
            }
          }
        }
      } catch {
        /* not JSON: the caller reports stdout and stderr */
      }
      resolve({ code, stats, changedTasks, failed, stdout, stderr });
    });
  });
}
