import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffLines, unifiedDiff } from '../../shared/diff';
import { applyEdits } from '../../shared/ini';
import { PEGASUS_CONFIG_FIXTURE } from '../harness/fixtures';

const FIXTURE = fs.readFileSync(PEGASUS_CONFIG_FIXTURE, 'utf8');

/** GNU `diff -u` of two texts, without its two header lines. */
function gnuDiff(a: string, b: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkmig-diff-'));
  try {
    fs.writeFileSync(path.join(dir, 'a'), a);
    fs.writeFileSync(path.join(dir, 'b'), b);
    try {
      execFileSync('diff', ['-u', path.join(dir, 'a'), path.join(dir, 'b')], { encoding: 'utf8' });
      return '';
    } catch (e) {
      return String((e as { stdout: string }).stdout).split('\n').slice(2).join('\n');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const body = (d: string): string => d.split('\n').slice(2).join('\n');

test('equal texts give an empty diff', (t) => {
  t.is(unifiedDiff(FIXTURE, FIXTURE), '');
});

test('hunks match GNU diff -u on real config edits', (t) => {
  const cases = [
    [{ section: 'zookeeper', key: 'hosts_list', value: 'a:1' }],
    [{ section: 'apps.meta', key: 'ports', value: '1' }, { section: 'zookeeper', key: 'hosts_list', value: 'b:2' }],
    [{ section: 'core', key: 'tool', absent: true }, { section: 'core', key: 'data_dir', value: '/d' }, { section: 'new', key: 'k', value: 'v', createSection: true }],
    [{ section: 'apps..default', key: 'run', value: 'false' }],
  ];
  for (const edits of cases) {
    const after = applyEdits(FIXTURE, edits).content;
    t.is(body(unifiedDiff(FIXTURE, after)), gnuDiff(FIXTURE, after), JSON.stringify(edits));
  }
});

test('missing final newline and pure insertions/deletions match GNU diff -u', (t) => {
  const pairs: [string, string][] = [
    ['a\nb\nc', 'a\nb\nc\n'],
    ['a\nb\nc\n', 'a\nx\nb\nc\n'],
    ['', 'a\n'],
    ['a\n', ''],
    ['1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n', '1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n'],
  ];
  for (const [a, b] of pairs) t.is(body(unifiedDiff(a, b)), gnuDiff(a, b), JSON.stringify([a, b]));
});

test('diffLines finds a shortest edit script', (t) => {
  const ops = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
  // Myers' paper example: D = 5.
  t.is(ops.filter((o) => o.kind !== ' ').length, 5);
});
