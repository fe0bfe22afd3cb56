import test from 'ava';
import type { MigrateEvent, RunSummary } from '../../coordinator/lib/migrate/events';
import { makeRenderer } from '../../coordinator/lib/migrate/render';
import { withRunLog } from '../../coordinator/lib/migrate/cli-support';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../harness/tmp';

const summary: RunSummary = { run: 'r1', cluster: 'c1', method: 'copy', outcome: 'succeeded', writeFreezeMs: 4200, totalMs: 9100, hosts: { meta1: { ok: 3, changed: 2, failed: 0, unreachable: 0 } }, message: 'the cluster serves from the new ensemble' };
const events: MigrateEvent[] = [
  { kind: 'run-start', run: 'r1', cluster: 'c1', method: 'copy', dryRun: false, journal: '/s/r1.jsonl' },
  { kind: 'step-start', step: 'copy', title: 'Copy cluster_root' },
  { kind: 'step-progress', step: 'copy', message: 'copy: 500/1000 nodes', fraction: 0.5 },
  { kind: 'host-result', step: 'copy', host: 'meta1', status: 'changed', msg: 'edited', diff: '-a\n+b\n' },
  { kind: 'warning', step: 'copy', message: 'careful' },
  { kind: 'step-done', step: 'copy', title: 'Copy cluster_root', ms: 1234, summary: '1000 nodes' },
  { kind: 'step-skipped', step: 'set-blind', reason: 'done in an earlier attempt' },
  { kind: 'run-end', outcome: 'succeeded', summary },
];

function render(mode: 'json' | 'tty' | 'plain', diff = true): { out: string; err: string } {
  let out = '';
  let err = '';
  const r = makeRenderer({ out: (t) => void (out += t), err: (t) => void (err += t) }, mode, { diff });
  for (const e of events) r.emit(e);
  r.close();
  return { out, err };
}

test('plain: one line per event, no progress chatter, the summary with the freeze window and the recap', (t) => {
  const { out, err } = render('plain');
  t.is(err, '');
  t.notRegex(out, /500\/1000/);
  t.regex(out, /^==> Copy cluster_root$/m);
  t.regex(out, /^ {4}changed {5}meta1: edited\n {6}-a\n {6}\+b\n/m);
  t.regex(out, /WARNING: careful/);
  t.regex(out, /^ok {2}Copy cluster_root \(1\.2 s\): 1000 nodes$/m);
  t.regex(out, /write-freeze window: 4\.2 s/);
  t.regex(out, /HOST RECAP\n {2}meta1 {2}ok=3 {3}changed=2 {3}unreachable=0 {3}failed=0$/m);
});

test('--diff: without it the text modes print the edit but not its diff; JSON always carries the diff', (t) => {
  const plain = render('plain', false).out;
  t.regex(plain, /^ {4}changed {5}meta1: edited\n==|^ {4}changed {5}meta1: edited\n/m);
  t.notRegex(plain, /^ {6}\+b$/m);
  t.notRegex(render('tty', false).err, /^ {6}\+b$/m);
  t.regex(render('tty', true).err, /^ {6}\+b$/m);
  t.true(render('json', false).out.includes('"diff":"-a\\n+b\\n"'));
});

test('json: every event, one object per line, in order', (t) => {
  const lines = render('json').out.trim().split('\n').map((l) => JSON.parse(l) as MigrateEvent);
  t.deepEqual(lines.map((e) => e.kind), events.map((e) => e.kind));
  t.like(lines[lines.length - 1], { kind: 'run-end', summary: { writeFreezeMs: 4200 } });
  // Each carries an ISO 8601 timestamp, first.
  for (const l of render('json').out.trim().split('\n')) t.regex(l, /^\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",/);
});

test('tty: a live step list on stderr (spinner line, then a check mark), the summary on stdout', (t) => {
  const { out, err } = render('tty');
  t.regex(err, /\r\x1b\[K {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Copy cluster_root \(\d\.\d s\)/);
  t.regex(err, / {2}✓ Copy cluster_root \(1\.2 s\): 1000 nodes\n/);
  t.regex(err, / {4}changed {5}meta1: edited/);
  t.regex(err, / {2}- set-blind: skipped/);
  t.regex(out, /Run r1: SUCCEEDED/);
  t.notRegex(out, /\x1b/);
});

test('tty: the live line is the shared status line, cut to the terminal width so it never wraps', (t) => {
  let err = '';
  const r = makeRenderer({ out: () => undefined, err: (s) => void (err += s), columns: 40 }, 'tty');
  r.emit({ kind: 'step-start', step: 'copy', title: 'Copy /pegasus/a-rather-long-cluster-root to zk9:2181' });
  r.close();
  const drawn = err.split('\r\x1b[K').filter(Boolean);
  t.true(drawn.length > 0);
  for (const l of drawn) t.true(l.length < 40, JSON.stringify(l));
  t.regex(drawn[0]!, /\.\.\.$/);
});

test('the run log: one timestamped text line per event, RUN.log beside RUN.jsonl, appended', (t) => {
  const tmp = tempDir('zkmig-run-log-');
  try {
    const journal = path.join(tmp.dir, 'r1.jsonl');
    for (let i = 0; i < 2; i++) {
      const r = withRunLog({ emit: () => undefined, close: () => undefined });
      r.emit({ kind: 'run-start', run: 'r1', cluster: 'c1', method: 'copy', dryRun: false, journal });
      r.emit({ kind: 'warning', message: 'hello' });
      r.close();
    }
    const lines = fs.readFileSync(path.join(tmp.dir, 'r1.log'), 'utf8').trim().split('\n');
    t.is(lines.length, 4);
    t.regex(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z run r1: migrate cluster c1 by copy/);
    t.regex(lines[1]!, /hello/);
  } finally {
    tmp.cleanup();
  }
});
