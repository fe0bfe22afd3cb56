import { OutputFormat, serverInfo } from './version';

/**
 * The few `remote_command`s the admin scripts send (docs/pegasus-internals.md §1.4, §4.8). Set-style commands answer
 * `OK` (v2.5.0) or `{"error":"ok",...}` (master). Values are kept in memory only, like Pegasus's.
 */
export class RemoteCommands {
  private readonly values = new Map<string, string>([
    ['meta.lb.assign_delay_ms', '0'],
    ['meta.lb.add_secondary_max_count_for_one_node', '10'],
    ['meta.lb.add_secondary_enable_flow_control', 'false'],
    ['meta.lb.only_move_primary', 'false'],
    ['meta.lb.only_primary_balancer', 'false'],
    ['meta.lb.balancer_in_turn', 'false'],
    ['meta.live_percentage', '65'],
    ['nfs.max_copy_rate_megabytes_per_disk', '500'],
  ]);

  constructor(
    private readonly startMs: number,
    private readonly role: 'meta' | 'replica',
  ) {}

  run(cmd: string, args: string[], format: OutputFormat): string {
    const master = format === 'master';
    if (cmd === 'server-info') return serverInfo(this.startMs, format);
    if (cmd === 'server-stat') return master ? '{}' : 'unknown';
    if (this.role === 'meta' && cmd === 'meta.lb.get_balance_operation_count') {
      const which = args[0] ?? 'total';
      if (master) return JSON.stringify(which === 'detail' ? { copy_pri: 0, copy_sec: 0, move_pri: 0, total: 0 } : { [which]: 0 }, null, 2);
      return which === 'detail' ? 'move_pri=0,copy_pri=0,copy_sec=0,total=0' : `${which}=0`;
    }
    if (this.values.has(cmd) && (cmd.startsWith('meta.') ? this.role === 'meta' : this.role === 'replica')) {
      if (args.length === 0) return master ? JSON.stringify({ error: 'ok', value: this.values.get(cmd) }) : this.values.get(cmd)!;
      this.values.set(cmd, args[0] === 'DEFAULT' ? this.values.get(cmd)! : args[0]!);
      return master ? JSON.stringify({ error: 'ok' }) : 'OK';
    }
    return master ? JSON.stringify({ error: `unknown command '${cmd}'` }) : `unknown command '${cmd}'`;
  }
}
