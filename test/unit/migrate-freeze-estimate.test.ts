import test from 'ava';
import { freezeEstimates, freezeLine } from '../../coordinator/lib/migrate/timing';

/** The plan's write-freeze line (timing.ts): what each method's freeze is made of, and which is least. */

test('production timing: the pre-copy freezes far less than recover, whose wait for inactive replica servers Pegasus imposes', (t) => {
  const est = freezeEstimates({ nodes: 100_000, inactiveWaitMs: 40_000, precopy: true });
  const by = Object.fromEntries(est.map((e) => [e.method, e.ms]));
  t.is(by.copy, 500 + 300 + 1000);
  t.is(by.recover, 40_000 + 2500 + 1000);
  t.true(by.reconfig! < by.copy!);
  const line = freezeLine('copy', est);
  t.regex(line, /^write freeze, estimated: copy ~1\.8 s \(stop, blind, last delta and proof, the config edit, the leader's start and tree load\)/);
  t.regex(line, /copy freezes least here; compared: copy ~1\.8 s, recover ~43\.5 s$/);
  t.regex(freezeLine('recover', est), /recover ~43\.5 s .*; copy would freeze less here \(copy ~1\.8 s\)/);
  // reconfig is compared only when chosen: the others cannot tell whether the ensemble allows it.
  t.regex(freezeLine('reconfig', est), /reconfig freezes least here; compared: copy ~1\.8 s, recover ~43\.5 s, reconfig ~1\.5 s$/);
});

test('without the pre-copy the copy is inside the freeze and grows with the tree; a short inactive wait can make recover the lesser freeze', (t) => {
  const big = freezeEstimates({ nodes: 100_000, inactiveWaitMs: 4000, precopy: false });
  t.is(big.find((e) => e.method === 'copy')!.ms, 40_000 + 300 + 1000);
  t.regex(freezeLine('copy', big), /recover would freeze less here \(recover ~7\.5 s\)/);
  const none = freezeEstimates({ nodes: 10_000, inactiveWaitMs: 4000, precopy: true });
  t.regex(freezeLine('recover', none), /copy would freeze less here \(copy ~0\.9 s\)/);
});
