import { UsageError } from '../../shared/errors';
import { COPY_STEPS, RECOVER_STEPS } from '../integration/migrate-support';

/**
 * The fault matrix of issues 9 and 14: which faults exist, at which steps of which method they are
 * run, what outcome each cell must have where one is required, and the `--quick` subset (one
 * representative step per fault and method, chosen where the fault bites hardest) that CI runs.
 *
 * Besides the method's steps a cell may name `no-return`: the moment the journal records the point
 * of no return (coordinator/lib/migrate/no-return.ts), i.e. inside wait-leader (copy) or recover
 * (recover) right after a meta served from the new ensemble. A cell may hold several faults, each
 * at its own step: `copy/agent-kill@update-configs+zk-target-restart@copy`.
 */

export type Method = 'copy' | 'recover';

export const FAULTS = {
  'coordinator-kill': 'SIGKILL of the coordinator as the step starts, then `zkmig resume RUN`',
  'agent-kill': "SIGKILL of the step's meta host agent; it comes back after 2 s (systemd Restart=on-failure, RestartSec=2)",
  'agent-stop': "graceful stop (SIGTERM) of the step's meta host agent; it stays down until the run ends (a stopped unit is not restarted), then the operator starts it and resumes/rolls back the run if it stopped",
  'zk-source-restart': 'restart of the source quorum leader member (SIGTERM, started again at once)',
  'zk-target-restart': 'restart of the target quorum leader member (SIGTERM, started again at once)',
  'meta-start-fails': "the next start of the step's meta fails (simulator flag file, consumed by that start)",
  'replica-kill': 'SIGKILL of a replica server; it comes back after 3 s (Restart=on-failure); for copy only past the point of no return (a replica death on the new ensemble)',
  'dup-during-copy': 'a duplication (real `add_dup` through the shell) starts while the copy runs and writes its progress nodes; the source-change guard must catch it',
  'bulk-load-during-blind': 'a bulk load (real `start_bulk_load`) starts right after set-blind, lifting the level to steady',
  'supervisor-restart': "a supervisor the agent cannot see restarts the step's follower meta whenever it stops (stopped and its meta started by the agent after the run)",
} as const;

export type Fault = keyof typeof FAULTS;

export const FAULT_NAMES = Object.keys(FAULTS) as Fault[];

/** Pseudo-step: the point of no return was just journaled. */
export const NO_RETURN = 'no-return';

/** The points a fault can hit, in run order: the method's steps with `no-return` after the step that passes it. */
export function stepsOf(method: Method): string[] {
  const steps = method === 'copy' ? COPY_STEPS : RECOVER_STEPS;
  const at = steps.indexOf(method === 'copy' ? 'wait-leader' : 'recover');
  return [...steps.slice(0, at + 1), NO_RETURN, ...steps.slice(at + 1)];
}

/** Points past the point of no return (the step that passes it counts only through `no-return`). */
export function pastNoReturn(method: Method, step: string): boolean {
  const s = stepsOf(method);
  return s.indexOf(step) >= s.indexOf(NO_RETURN);
}

/** Faults that are not run for a method at all, and why (printed as n/a). */
export function notApplicable(fault: Fault, method: Method): string | undefined {
  if (method === 'recover' && fault === 'dup-during-copy') return 'the recover method copies nothing; a duplication running at its preflight is refused (preflight.ts)';
  if (method === 'recover' && fault === 'bulk-load-during-blind') return 'the recover method never sets blind (every meta is stopped first)';
  if (method === 'recover' && fault === 'supervisor-restart') return 'the stays-stopped watch is the same code for both methods; run at copy stop-followers';
  return undefined;
}

/** Why a fault is not run at a step of a method it applies to, or undefined when it is. */
export function notAtStep(fault: Fault, method: Method, step: string): string | undefined {
  if (fault === 'replica-kill' && method === 'copy' && !pastNoReturn(method, step)) return 'before the point of no return the copy method never talks to replica servers';
  if (fault === 'dup-during-copy' && step !== 'copy') return 'only while the copy runs';
  if (fault === 'bulk-load-during-blind' && step !== 'copy') return 'only right after set-blind (as the copy starts)';
  if (fault === 'supervisor-restart' && step !== 'stop-followers') return 'only where followers are stopped';
  return undefined;
}

/** One representative step per fault and method for --quick. */
const QUICK: Record<Method, Partial<Record<Fault, string>>> = {
  copy: {
    'coordinator-kill': 'copy',
    'agent-kill': 'update-configs',
    'agent-stop': 'start-leader',
    'zk-source-restart': 'copy',
    'zk-target-restart': 'copy',
    'meta-start-fails': 'start-leader',
    'replica-kill': NO_RETURN,
    'dup-during-copy': 'copy',
    'bulk-load-during-blind': 'copy',
    'supervisor-restart': 'stop-followers',
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

/** One fault of a cell and the point it hits. */
export interface Hit {
  fault: Fault;
  step: string;
}

export interface Cell {
  method: Method;
  /** The fault's name; for several faults, their names joined by '+'. */
  fault: string;
  /** The step; for several faults, their steps joined by '+'. */
  step: string;
  /** What is injected, in order (one hit unless the cell has several faults). */
  hits: Hit[];
  /** Set when the cell is not run, with the reason. */
  na?: string;
}

export function cellOf(method: Method, hits: Hit[]): Cell {
  return { method, fault: hits.map((h) => h.fault).join('+'), step: hits.map((h) => h.step).join('+'), hits };
}

/** The `--cell` spelling of a cell. */
export function cellName(c: Cell): string {
  return c.hits.length === 1 ? `${c.method}/${c.fault}/${c.step}` : `${c.method}/${c.hits.map((h) => `${h.fault}@${h.step}`).join('+')}`;
}

export interface Filter {
  /** Exact cells (`method/fault/step`); when set, the other filters are ignored. */
  cells?: Cell[];
  methods?: Method[];
  faults?: Fault[];
  steps?: string[];
  quick?: boolean;
}

function parseMethod(m: string): Method {
  if (m !== 'copy' && m !== 'recover') throw new UsageError(`--method must be copy or recover, got "${m}"`);
  return m;
}

function parseFault(x: string): Fault {
  if (!(x in FAULTS)) throw new UsageError(`unknown --fault "${x}"; known: ${FAULT_NAMES.join(', ')}`);
  return x as Fault;
}

/** `method/fault/step` or `method/fault@step+fault@step...` */
function parseCell(c: string): Cell {
  const parts = c.split('/');
  const bad = (): UsageError => new UsageError(`--cell must be method/fault/step or method/fault@step+fault@step, got "${c}"`);
  let method: Method;
  let hits: Hit[];
  if (parts.length === 3 && parts.every(Boolean) && !c.includes('@')) {
    method = parseMethod(parts[0]!);
    hits = [{ fault: parseFault(parts[1]!), step: parts[2]! }];
  } else if (parts.length === 2 && parts.every(Boolean)) {
    method = parseMethod(parts[0]!);
    hits = parts[1]!.split('+').map((h) => {
      const [fault, step, extra] = h.split('@');
      if (!fault || !step || extra !== undefined) throw bad();
      return { fault: parseFault(fault), step };
    });
  } else throw bad();
  const steps = stepsOf(method);
  for (const h of hits) {
    const why = notApplicable(h.fault, method) ?? (steps.includes(h.step) ? notAtStep(h.fault, method, h.step) : `no step ${h.step}; ${method} steps: ${steps.join(', ')}`);
    if (why) throw new UsageError(`--cell ${c}: ${h.fault} is not run at ${method} step ${h.step} (${why})`);
  }
  // In run order (stable for one step), so that each fault waits for its own point after the one before.
  const order = hits.map((h, i) => ({ h, i })).sort((a, b) => steps.indexOf(a.h.step) - steps.indexOf(b.h.step) || a.i - b.i);
  hits = order.map((x) => x.h);
  return cellOf(method, hits);
}

/** Validate user filters (bad input is refused before anything starts). */
export function parseFilter(o: { method?: string[]; fault?: string[]; step?: string[]; quick?: boolean; cell?: string[] }): Filter {
  if (o.cell) return { cells: o.cell.map(parseCell) };
  const methods = o.method?.map(parseMethod);
  const faults = o.fault?.map(parseFault);
  const all = new Set([...stepsOf('copy'), ...stepsOf('recover')]);
  const steps = o.step?.map((s) => {
    if (!all.has(s)) throw new UsageError(`unknown --step "${s}"; copy steps: ${stepsOf('copy').join(', ')}; recover steps: ${stepsOf('recover').join(', ')}`);
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
        if (!f.steps) out.push({ ...cellOf(method, [{ fault, step: '*' }]), na });
        continue;
      }
      for (const step of stepsOf(method)) {
        if (f.steps && !f.steps.includes(step)) continue;
        if (notAtStep(fault, method, step)) continue;
        if (f.quick && QUICK[method][fault] !== step) continue;
        out.push(cellOf(method, [{ fault, step }]));
      }
    }
  }
  return out;
}

/** The meta (and its agent) a fault targets at a step: a follower where the step acts on followers, else the leader. */
export function targetsFollower(step: string): boolean {
  return /follower|others/.test(step);
}

/**
 * The outcome a cell must have, where the matrix requires one (undefined: any outcome that passes
 * the checks). `outcome` matches the run's outcome chain; `endedOn` the side it serves from.
 */
export interface Expected {
  outcome: RegExp;
  /** Unset when it depends on the outcome (checked by the fault's own verification). */
  endedOn?: 'source' | 'target';
  /** What is required, in words (the report's "expected" column). */
  text: string;
}

/** The faults issue 14 runs past the point of no return: each must end completed, at most through a resume after a killed coordinator. */
const PONR_FAULTS: Fault[] = ['agent-kill', 'zk-target-restart', 'coordinator-kill', 'replica-kill'];

/** Faults that, before the point of no return, the run rides out (transient.ts) or resumes through. */
const RIDDEN_OUT: Partial<Record<Fault, string[]>> = { 'agent-kill': ['update-configs'], 'zk-target-restart': ['copy'], 'coordinator-kill': ['copy'] };

export function expectedOf(c: Cell): Expected | undefined {
  const only = c.hits.length === 1 ? c.hits[0]! : undefined;
  if (only?.fault === 'bulk-load-during-blind') return { outcome: /^rolled-back$/, endedOn: 'source', text: 'rolled-back before the copy wrote a node (the level is no longer blind)' };
  if (only?.fault === 'supervisor-restart') return { outcome: /^rolled-back$/, endedOn: 'source', text: 'rolled-back at stop-followers, naming the host' };
  if (only?.fault === 'dup-during-copy') return { outcome: /^(completed|rolled-back)$/, text: 'completed with the duplication carried over (recopied), or rolled-back naming the change' };
  const forward = c.hits.every((h) => pastNoReturn(c.method, h.step) || RIDDEN_OUT[h.fault]?.includes(h.step));
  if (!forward || !c.hits.some((h) => pastNoReturn(c.method, h.step) || c.hits.length > 1)) return undefined;
  // Rolled forward (or resumed after a killed coordinator) to the new ensemble; never rolled back.
  // A fault that stays until the run ends (a stopped agent) may stop the roll-forward; the
  // operator's resume then finishes it.
  if (c.hits.every((h) => PONR_FAULTS.includes(h.fault))) return { outcome: /^(killed→resume→)*completed$/, endedOn: 'target', text: 'completed or killed→resume→completed, on the target' };
  return { outcome: /^((killed|failed|interrupted)→resume→)*completed$/, endedOn: 'target', text: 'completed (after resumes), on the target' };
}
