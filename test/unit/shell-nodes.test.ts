import test from 'ava';
import { InvalidInputError, ShellCommandError } from '../../shared/errors';
import { parseListNodes } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('the nodes -d -o file from docs/pegasus-internals.md §4.5: [parameters], right-aligned counts', (t) => {
  t.deepEqual(parseListNodes(sample('nodes-d-o.v2.5.file.txt'), 'nodes -d -o onebox.nodes'), {
    format: 'text',
    parameters: { out_file: 'onebox.nodes' },
    nodes: [
      { address: '127.0.0.1:34801', status: 'ALIVE', replicaCount: 8, primaryCount: 3, secondaryCount: 5, extra: {} },
      { address: '127.0.0.1:34802', status: 'ALIVE', replicaCount: 8, primaryCount: 3, secondaryCount: 5, extra: {} },
      { address: '127.0.0.1:34803', status: 'UNALIVE', replicaCount: 0, primaryCount: 0, secondaryCount: 0, extra: {} },
    ],
    summary: { totalNodeCount: 3, aliveNodeCount: 2, unaliveNodeCount: 1 },
  });
});

test('nodes -d -s alive prints [parameters] on stdout too', (t) => {
  const r = parseListNodes(sample('nodes-d-s.v2.5.txt'));
  t.deepEqual(r.parameters, { status: 'alive' });
  t.is(r.nodes.length, 2);
});

test('nodes without -d: address and status only', (t) => {
  const r = parseListNodes(sample('nodes.v2.5.txt'));
  t.deepEqual(r.nodes[0], { address: '10.0.0.11:34801', status: 'ALIVE', extra: {} });
  t.is(r.parameters, undefined);
});

test('master: host:port addresses; -j gives the same', (t) => {
  const text = parseListNodes(sample('nodes-d.master.txt'));
  t.deepEqual(
    text.nodes.map((n) => [n.address, n.status, n.replicaCount]),
    [
      ['replica1.example.com:34801', 'ALIVE', 24],
      ['replica2.example.com:34801', 'ALIVE', 23],
      ['replica3.example.com:34801', 'UNALIVE', 0],
    ],
  );
  const json = parseListNodes(sample('nodes-d.master.json'));
  t.is(json.format, 'json');
  t.deepEqual({ ...json, format: 'text' }, text);
});

test('list nodes / list app failures are ShellCommandErrors', (t) => {
  const a = t.throws(() => parseListNodes(sample('nodes.error-timeout.txt')), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(a.errorCode, 'ERR_TIMEOUT');
  const b = t.throws(() => parseListNodes(sample('nodes-d.error-list-app.txt'), 'nodes -d'), { instanceOf: ShellCommandError }) as ShellCommandError;
  t.is(b.errorCode, 'ERR_OBJECT_NOT_FOUND');
  t.is(b.code, 'NOT_FOUND');
  t.regex(b.message, /nodes -d.*list app usertable failed/);
});

test('a truncated or short [details] table is an error', (t) => {
  t.throws(() => parseListNodes(sample('nodes-d.truncated.txt')), { instanceOf: InvalidInputError, message: /\[summary\] is missing/ });
  t.throws(() => parseListNodes(sample('nodes-d.missing-row.txt')), { instanceOf: InvalidInputError, message: /does not match \[details\] \(2 rows/ });
});

test('bad cells are errors naming the line', (t) => {
  const base = sample('nodes-d.v2.5.txt');
  t.throws(() => parseListNodes(base.replace('10.0.0.12:34801  ALIVE  ', '10.0.0.12:34801  DEAD   ')), { message: /status "DEAD"/ });
  t.throws(() => parseListNodes(base.replace('10.0.0.12:34801', '10.0.0.12      ')), { message: /line \d+ .*address "10.0.0.12" is not host:port/ });
  t.throws(() => parseListNodes(base.replace(/24( +)8( +)16\n(\[|$)/, '24$18$117\n$3').replace(/^(10\.0\.0\.13:34801 +ALIVE +)24( +8 +)16/m, '$124$217')), { message: /not primary_count \+ secondary_count/ });
});
