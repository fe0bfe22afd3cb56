/**
 * The method step lists are single-source: the plan the operator confirms and the steps the run
 * runs are the same definitions (steps.ts), and each step's journaled output is typed.
 */
import test from 'ava';
import type { RunEnv } from '../../coordinator/lib/migrate/env';
import { PARAM_DEFAULTS, resolveParams } from '../../coordinator/lib/migrate/params';
import type { PreflightFacts } from '../../coordinator/lib/migrate/preflight';
import { StepResults } from '../../coordinator/lib/migrate/step-results';
import { step } from '../../coordinator/lib/migrate/step-types';
import { COPY_CUTOVER_STEPS, COPY_LEADER_STOPPED_STEPS, COPY_TARGET_STEPS } from '../../coordinator/lib/migrate/steps-copy';
import { RECOVER_CUTOVER_STEPS, RECOVER_TARGET_STEPS } from '../../coordinator/lib/migrate/steps-recover';
import { plannedSteps, stepsFor } from '../../coordinator/lib/migrate/steps';
import { RECONFIG_CUTOVER_STEPS, RECONFIG_MEMBERSHIP_STEPS } from '../../coordinator/lib/migrate/steps-reconfig';
import type { PegasusCluster } from '../../coordinator/lib/inventory';
import type { JournalEntry } from '../../coordinator/lib/migrate/journal';
import { pointOfNoReturn } from '../../coordinator/lib/migrate/no-return-probe';
import { rollbackScope } from '../../coordinator/lib/migrate/rollback';

const facts = {
  method: 'copy',
  source: 'zk1:2181',
  target: 'zk9:2181',
  root: '/pegasus/c1',
  leader: 'm1',
  level: 'steady',
  size: { nodes: 10, bytes: 100, ephemeral: 2, digest: 'sha256:x', maxMzxid: '0x1' },
  timing: { configSyncIntervalMs: 30000, fdLeaseSeconds: 9, fdGraceSeconds: 10, fdBeaconIntervalSeconds: 3, fdCheckIntervalSeconds: 2 },
  tables: [{ appId: 1, name: 't', partitionCount: 8, status: 'AVAILABLE' }],
  dropped: [],
  nodes: [{ address: 'r1:34801', status: 'ALIVE', replicaCount: 8 }],
  inactiveWaitMs: 45000,
  reconfig: {
    source: 'zk1:2181',
    target: 'zk9:2181',
    configText: '',
    configVersion: '100000000',
    oldMembers: [{ id: 1, host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'participant', clientHost: 'zk1', clientPort: 2181 }],
    joiners: [{ endpoint: 'zk9:2181', id: 9, member: { id: 9, host: 'zk9', quorumPort: 2888, electionPort: 3888, role: 'observer', clientHost: 'zk9', clientPort: 2181 } }],
    versions: {},
    leader: 'zk1:2181',
    warnings: [],
  },
} as unknown as PreflightFacts;
const cluster = { name: 'c1', metas: [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }] } as unknown as PegasusCluster;

// The journal's names (journal.ts): a run started by an earlier zkmig resumes by them, and the
// rollback scope reads them. Renaming one is a journal format change.
const NAMES = {
  precopy: ['precopy', 'stop-followers', 'set-blind', 'stop-leader', 'finalize', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health'],
  copy: ['stop-followers', 'set-blind', 'copy', 'check-source', 'stop-leader', 'recheck-source', 'update-configs', 'start-leader', 'wait-leader', 'start-followers', 'final-health'],
  recover: ['backup-lists', 'stop-metas', 'wait-inactive', 'configure-recovery', 'start-recovery-meta', 'recover', 'disable-recovery', 'restart-recovered-meta', 'start-others', 'wait-converged', 'final-health'],
  reconfig: ['add-observers', 'promote', 'roll-metas', 'remove-old', 'confirm-write', 'final-health'],
} as const;

// 'precopy': the copy method's default; 'copy': --no-precopy.
for (const variant of ['precopy', 'copy', 'recover', 'reconfig'] as const) {
  const method = variant === 'precopy' ? 'copy' : variant;
  test(`${variant}: the plan and the run list the same steps, in the same order, with the same titles`, (t) => {
    const params = resolveParams({ inventory: '/i.yml', cluster: 'c1', to: 'zk9:2181', method, ...(method === 'copy' ? { precopy: variant === 'precopy' } : {}) });
    // stepsFor only binds the definitions to the environment; nothing of it is touched here.
    const run = stepsFor({ params } as RunEnv, async () => undefined);
    const plan = plannedSteps(params, facts, cluster);
    t.is(run[0]!.name, 'preflight');
    t.deepEqual(run.slice(1).map((s) => s.name), plan.map((s) => s.name));
    t.deepEqual(plan.map((s) => s.name), [...NAMES[variant]]);
    const results = new StepResults();
    results.set('preflight', facts);
    t.deepEqual(
      run.slice(1).map((s) => (typeof s.title === 'string' ? s.title : s.title(results))),
      plan.map((s) => s.title),
      'the run announces each step by the title the operator confirmed',
    );
    // reconfig: one ensemble, one history; there is no stale tree to pass a point of no return on.
    t.is(plan.filter((s) => s.pointOfNoReturn).length, method === 'reconfig' ? 0 : 1, 'the steps that pass the point of no return');
  });
}

test('the steps the rollback scope names exist in their method', (t) => {
  for (const s of [...COPY_CUTOVER_STEPS, ...COPY_LEADER_STOPPED_STEPS, ...COPY_TARGET_STEPS]) t.true(([...NAMES.copy, ...NAMES.precopy] as string[]).includes(s), s);
  // Each copy variant has its cutover, its leader stop and a step writing the target.
  for (const names of [NAMES.copy, NAMES.precopy] as readonly (readonly string[])[]) {
    for (const group of [COPY_CUTOVER_STEPS, COPY_LEADER_STOPPED_STEPS, COPY_TARGET_STEPS]) t.true(group.some((s) => names.includes(s)), group.join(','));
  }
  for (const s of [...RECOVER_CUTOVER_STEPS, ...RECOVER_TARGET_STEPS]) t.true((NAMES.recover as readonly string[]).includes(s), s);
  for (const s of [...RECONFIG_CUTOVER_STEPS, ...RECONFIG_MEMBERSHIP_STEPS]) t.true((NAMES.reconfig as readonly string[]).includes(s), s);
});

test('the plan text of a step follows the parameters and the facts', (t) => {
  const base = { inventory: '/i.yml', cluster: 'c1', to: 'zk9:2181', method: 'copy' as const };
  const recopy = plannedSteps(resolveParams({ ...base, precopy: false }), facts, cluster);
  const abort = plannedSteps(resolveParams({ ...base, precopy: false, onSourceChange: 'abort', stayStoppedMs: 0 }), facts, cluster);
  const by = (l: typeof recopy, n: string) => l.find((s) => s.name === n)!;
  t.is(by(recopy, 'check-source').detail, `digest and max mzxid; on a change: copy again (at most ${PARAM_DEFAULTS.maxCopyAttempts} copies)`);
  t.is(by(abort, 'check-source').detail, 'digest and max mzxid; on a change: abort and roll back');
  t.deepEqual(by(recopy, 'stop-followers').hosts, ['m2', 'm3']);
  t.regex(by(recopy, 'stop-followers').detail, /must stay down for 5 s/);
  t.notRegex(by(abort, 'stop-followers').detail, /stay down/);
  t.is(by(recopy, 'copy').title, 'Copy /pegasus/c1 to zk9:2181');
  t.deepEqual(by(recopy, 'update-configs').hosts, ['m1', 'm2', 'm3']);
  const pre = plannedSteps(resolveParams({ ...base, precopyThreshold: 25 }), facts, cluster);
  t.regex(by(pre, 'precopy').detail, /until fewer than 25 changes are outstanding/);
  t.regex(by(pre, 'finalize').detail, /delta proof/);
  t.regex(by(plannedSteps(resolveParams({ ...base, verify: 'full' }), facts, cluster), 'finalize').detail, /both trees compared in full \(--verify full\)/);
});

test('step outputs are typed by step name', (t) => {
  const r = new StepResults();
  r.set('copy', { digest: 'sha256:abc', targetDigest: 'sha256:abc', summary: 'copied' });
  const digest: string | undefined = r.get('copy')?.digest;
  t.is(digest, 'sha256:abc');
  t.is(r.get('check-source'), undefined);
  t.throws(() => r.requireFacts(), { message: /preflight facts are missing/ });
  // The compiler refuses what the record would not hold (the build fails if these lines compile).
  // @ts-expect-error: no step is called so
  r.get('no-such-step');
  // @ts-expect-error: stoppedAt is a number (ms since the epoch)
  const _bad: string | undefined = r.get('stop-metas')?.stoppedAt;
  step({
    name: 'start-leader',
    title: () => 't',
    hosts: () => [],
    detail: () => '',
    // @ts-expect-error: start-leader journals startedAt as a number
    run: async () => ({ startedAt: 'now' }),
  });
  t.pass();
});

test('reconfig never passes a point of no return: one ensemble, one history', async (t) => {
  const params = resolveParams({ inventory: '/i.yml', cluster: 'c1', to: 'zk9:2181', method: 'reconfig' });
  const entries = [{ kind: 'step-intent', step: 'roll-metas', attempt: 1, ts: '2026-01-01T00:00:00Z' }] as unknown as JournalEntry[];
  const nr = await pointOfNoReturn(entries, params, facts);
  t.false(nr.past);
  t.regex(nr.why, /one ensemble with one history/);
  t.like(rollbackScope(entries), { cutover: true });
});
