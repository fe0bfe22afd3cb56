import type { PegasusCluster } from '../inventory';
import type { RunEnv } from './env';
import type { MigrateParams } from './params';
import { preflight, PreflightFacts } from './preflight';
import type { StepDef } from './runner';
import { MethodStep, PreflightOut } from './step-types';
import { COPY_STEPS } from './steps-copy';
import { PRECOPY_STEPS } from './steps-precopy';
import { RECOVER_STEPS } from './steps-recover';
import { RECONFIG_STEPS } from './steps-reconfig';

/**
 * The one place a method's step list is chosen: the run binds it to its environment
 * (`stepsFor`), the plan describes it from the preflight's facts (`plannedSteps`).
 */

export function methodSteps(params: Pick<MigrateParams, 'method' | 'precopy'>): readonly MethodStep[] {
  if (params.method === 'copy') return params.precopy ? PRECOPY_STEPS : COPY_STEPS;
  return params.method === 'recover' ? RECOVER_STEPS : RECONFIG_STEPS;
}

/** What the plan shows of one step. */
export interface PlannedStep {
  name: string;
  title: string;
  /** Inventory hosts the step acts on (empty: the cluster through the shell, or ZooKeeper). */
  hosts: string[];
  detail: string;
  /** The point of no return is passed during this step (no-return.ts). */
  pointOfNoReturn?: boolean;
}

/** The steps of `params.method`, described with the preflight's facts. Pure. */
export function plannedSteps(params: MigrateParams, f: PreflightFacts, cluster: PegasusCluster): PlannedStep[] {
  return methodSteps(params).map((s) => ({
    name: s.name,
    title: s.title(f),
    hosts: s.hosts(f, cluster),
    detail: s.detail(params, f),
    ...(s.pointOfNoReturn ? { pointOfNoReturn: true } : {}),
  }));
}

/** A method step as the runner runs it: bound to the run's environment, titled from its facts. */
export function bindStep(env: RunEnv, s: MethodStep): StepDef {
  return { name: s.name, title: (results) => s.title(results.requireFacts()), run: (ctx) => s.run(env, ctx) };
}

/** The run's steps: the preflight, then the method's. */
export function stepsFor(env: RunEnv, onSource: (source: string) => Promise<void>): StepDef[] {
  const pre: StepDef = {
    name: 'preflight',
    title: 'Preflight checks (nothing is changed)',
    run: async (ctx): Promise<PreflightOut> => {
      const f = await preflight(env, { onSource }, (m) => ctx.progress(m));
      const target = f.reconfig ? `new servers ${f.reconfig.joiners.map((j) => `${j.id}@${j.endpoint}`).join(', ')} follow the ensemble (config ${f.reconfig.configVersion})` : `target ${f.target} empty`;
      return { ...f, summary: `${f.metas.length} metas (leader ${f.leader}), ${f.tables.length} table(s), ${f.nodes.length} replica server(s), ${f.size.nodes} znodes on ${f.source}${f.root}; ${target}` };
    },
  };
  return [pre, ...methodSteps(env.params).map((s) => bindStep(env, s))];
}
