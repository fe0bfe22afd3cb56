#!/usr/bin/env node
/**
 * `npm run reliability [-- options]`: the fault matrix of issue 9. Real migrations on sandbox
 * fleets (real 3-member ZooKeeper quorums, real agents over mutual TLS, simulated metas and replica
 * servers), one fault (or a few) injected per run as its step starts, then resume/rollback as an
 * operator would and every check (checks.ts, repairable.ts, jobs.ts). Exit 0 when every run kept the
 * data, ended healthy on one ensemble, never had two leaders, never went back to a stale tree after
 * the point of no return, ended as its cell requires and repaired a replica death afterwards; 1
 * otherwise; 2 on bad options or a harness failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../../shared/errors';
import { RelFleet, startRelFleet } from './fleet';
import { Cell, cellName, cells, expectedOf, FAULTS, parseFilter } from './matrix';
import { RunRecord, runCell } from './one-run';
import { renderTable, report } from './table';

const list = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), ...v.split(',').filter(Boolean)];

function program(): Command {
  return new Command('reliability')
    .description(
      'Run the fault matrix: for each method and step, inject a fault as the step starts, finish the run as an operator would, and check data, health, leaders and configs.\n\n' +
        'Faults:\n' +
        Object.entries(FAULTS)
          .map(([k, v]) => `  ${k.padEnd(18)} ${v}`)
          .join('\n') +
        '\n\nSteps are the method\'s, plus no-return: the moment the point of no return is journaled (inside wait-leader, or recover).' +
        '\n\nNot for production clusters: it starts its own sandbox fleets on loopback. Needs ZooKeeper (Debian package) and a built tree (npm run build).',
    )
    .option('--method <m>', 'copy and/or recover (repeat or comma-separate)', list)
    .option('--fault <f>', 'only these faults (repeat or comma-separate)', list)
    .option('--step <s>', 'only these steps (repeat or comma-separate)', list)
    .option('--quick', 'one representative step per fault and method (for CI)')
    .option('--cell <method/fault/step>', 'exactly these runs, e.g. copy/agent-kill/update-configs, or several faults in one run: copy/agent-kill@update-configs+zk-target-restart@copy (repeat or comma-separate; overrides the other filters)', list)
    .addOption(new Option('--parallel <n>', 'fleets running at once (the machine has 2 cores)').default('2').choices(['1', '2']))
    .option('--json', 'print the report as JSON instead of a table')
    .option('--out <file>', 'also write the JSON report to this file')
    .option('--list', 'print the selected cells and exit')
    .option('--dir <dir>', 'where the sandbox fleets live (removed afterwards)');
}

export async function main(argv: string[], out: (s: string) => void, err: (s: string) => void, isTTY: boolean): Promise<number> {
  const cmd = program().exitOverride().configureOutput({ writeOut: out, writeErr: err });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const o = cmd.opts<{ cell?: string[]; method?: string[]; fault?: string[]; step?: string[]; quick?: boolean; parallel: string; json?: boolean; out?: string; list?: boolean; dir?: string }>();
  let selected: Cell[];
  try {
    selected = cells(parseFilter(o));
  } catch (e) {
    err(`Error: ${(e as Error).message}\n`);
    return e instanceof UsageError ? 2 : 2;
  }
  const todo = selected.filter((c) => !c.na);
  const na = selected.filter((c) => c.na);
  if (o.list) {
    for (const c of selected) out(`${c.na ? `${c.method} ${c.fault} *` : cellName(c)}${c.na ? ` n/a: ${c.na}` : (expectedOf(c) ? ` expected: ${expectedOf(c)!.text}` : '')}\n`);
    return 0;
  }
  if (todo.length === 0) {
    err('Error: the filters select no run\n');
    return 2;
  }
  const base = o.dir ? path.resolve(o.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-reliability-'));
  fs.mkdirSync(base, { recursive: true });
  const t0 = Date.now();
  const runs: RunRecord[] = [];
  const queue = [...todo];
  const fleets: RelFleet[] = [];
  try {
    const workers = Math.min(Number(o.parallel), todo.length);
    await Promise.all(
      Array.from({ length: workers }, async (_, i) => {
        const f = await startRelFleet(base, `fleet${i}`);
        fleets.push(f);
        for (let c = queue.shift(); c; c = queue.shift()) {
          const r = await runCell(f, c);
          runs.push(r);
          if (isTTY) err(`[${runs.length}/${todo.length}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.method} ${r.fault} @ ${r.step}: ${r.outcome} (${(r.durationMs / 1000).toFixed(0)} s)\n`);
        }
      }),
    );
  } catch (e) {
    err(`Error: the harness failed: ${(e as Error).stack ?? String(e)}\n`);
    return 2;
  } finally {
    await Promise.all(fleets.map((f) => f.close()));
    if (!o.dir) fs.rmSync(base, { recursive: true, force: true });
  }
  const order = (r: { method: string; fault: string; step: string }): number => todo.findIndex((c) => c.method === r.method && c.fault === r.fault && c.step === r.step);
  runs.sort((a, b) => order(a) - order(b));
  const rep = report(runs, na, Date.now() - t0);
  if (o.out) fs.writeFileSync(o.out, JSON.stringify(rep, null, 2) + '\n');
  out(o.json ? JSON.stringify(rep, null, 2) + '\n' : renderTable(rep));
  return rep.summary.failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s), Boolean(process.stderr.isTTY)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`Error: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
