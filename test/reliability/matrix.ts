import { UsageError } from '../../shared/errors';
import { COPY_STEPS, RECOVER_STEPS } from '../integration/migrate-support';

/**
 * The fault matrix of issue 9: which faults exist, at which steps of which method they are run,
 * and the `--quick` subset (one representative step per fault and method, chosen where the fault
 * bites hardest) that CI runs.
 */

export type Method = 'copy' | 'recover';

export const FAULTS = {
  'coordinator-kill': 'SIGKILL of the coordinator as the step starts, then `zkmig resume RUN`',
  'agent-kill': "SIGKILL of the step's meta host agent; it comes back after 2 s (systemd Restart=on-failure, RestartSec=2)",
  'agent-stop': "graceful stop (SIGTERM) of the step's meta host agent; it stays down until the run ends (a stopped unit is not restarted), then the operator starts it and resumes/rolls back the run if it stopped",
  'zk-source-restart': 'restart of the source quorum leader member (SIGTERM, started again at once)',
  'zk-target-restart': 'restart of the target quorum leader member (SIGTERM, started again at once)',
  'meta-start-fails': "the next start of the step's meta fails (simulator flag file, consumed by that start)",
  'replica-kill': 'SIGKILL of a replica server; it comes back after 3 s (Restart=on-failure)',
} as const;

export type Fault = keyof typeof FAULTS;

export const FAULT_NAMES = Object.keys(FAULTS) as Fault[];

export function stepsOf(method: Method): string[] {
  return method === 'copy' ? COPY_STEPS : RECOVER_STEPS;
}

/** Faults that are not run for a method at all, and why (printed as n/a). */
export function notApplicable(fault: Fault, method: Method): string | undefined {
  if (fault === 'replica-kill' && method === 'copy') return 'the copy method never talks to replica servers; issue 9 asks for replica death during recover';
  return undefined;
}

/** One representative step per fault and method for --quick. */
const QUICK: Record<Method, Record<Fault, string>> = {
  copy: {
    'coordinator-kill': 'copy',
    'agent-kill': 'update-configs',
    'agent-stop': 'start-leader',
    'zk-source-restart': 'copy',
    'zk-target-restart': 'copy',
    'meta-start-fails': 'start-leader',
    'replica-kill': 'copy',
  },
  recover: {
    'coordinator-kill': 'recover',
    'agent-kill': 'configure-recovery',
    'agent-stop': 'start-recovery-meta',
    'zk-source-restart': 'stop-metas',
    'zk-target-restart': 'recover',
    'meta-start-fails': 'start-recovery-meta',
    'replica-kill': 'recover',
  },
};

export interface Cell {
  method: Method;
  fault: Fault;
  step: string;
  /** Set when the cell is not run, with the reason. */
  na?: string;
}

export interface Filter {
  /** Exact cells (`method/fault/step`); when set, the other filters are ignored. */
  cells?: Cell[];
  methods?: Method[];
  faults?: Fault[];
  steps?: string[];
  quick?: boolean;
}

/** Validate user filters (bad input is refused before anything starts). */
export function parseFilter(o: { method?: string[]; fault?: string[]; step?: string[]; quick?: boolean; cell?: string[] }): Filter {
  if (o.cell) {
    return {
      cells: o.cell.map((c) => {
        const [method, fault, step, extra] = c.split('/');
        if (!method || !fault || !step || extra !== undefined) throw new UsageError(`--cell must be method/fault/step, got "${c}"`);
        const f = parseFilter({ method: [method], fault: [fault], step: [step] });
        if (notApplicable(f.faults![0]!, f.methods![0]!) || !stepsOf(f.methods![0]!).includes(step)) throw new UsageError(`--cell ${c}: ${fault} is not run at ${method} step ${step}`);
        return { method: f.methods![0]!, fault: f.faults![0]!, step };
      }),
    };
  }
  const methods = o.method?.map((m) => {
    if (m !== 'copy' && m !== 'recover') throw new UsageError(`--method must be copy or recover, got "${m}"`);
    return m as Method;
  });
  const faults = o.fault?.map((x) => {
    if (!(x in FAULTS)) throw new UsageError(`unknown --fault "${x}"; known: ${FAULT_NAMES.join(', ')}`);
    return x as Fault;
  });
  const all = new Set([...COPY_STEPS, ...RECOVER_STEPS]);
  const steps = o.step?.map((s) => {
    if (!all.has(s)) throw new UsageError(`unknown --step "${s}"; copy steps: ${COPY_STEPS.join(', ')}; recover steps: ${RECOVER_STEPS.join(', ')}`);
    return s;
  });
  return { ...(methods ? { methods } : {}), ...(faults ? { faults } : {}), ...(steps ? { steps } : {}), quick: o.quick ?? false };
}

/** Every cell the filter selects, n/a cells included (they are listed, not run). */
export function cells(f: Filter): Cell[] {
  if (f.cells) return f.cells;
  const out: Cell[] = [];
  for (const method of f.methods ?? (['copy', 'recover'] as Method[])) {
    for (const fault of f.faults ?? FAULT_NAMES) {
      const na = notApplicable(fault, method);
      if (na) {
        if (!f.steps) out.push({ method, fault, step: '*', na });
        continue;
      }
      for (const step of stepsOf(method)) {
        if (f.steps && !f.steps.includes(step)) continue;
        if (f.quick && QUICK[method][fault] !== step) continue;
        out.push({ method, fault, step });
      }
    }
  }
  return out;
}

/** The meta (and its agent) a fault targets at a step: a follower where the step acts on followers, else the leader. */
export function targetsFollower(step: string): boolean {
  return /follower|others/.test(step);
}
