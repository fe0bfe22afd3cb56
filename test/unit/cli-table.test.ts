import test from 'ava';
import { renderTable } from '../../coordinator/lib/table';

test('columns aligned with two spaces, the last one never padded (no trailing blanks)', (t) => {
  const lines = renderTable([
    ['HOST', 'PORT', 'CONFIG'],
    ['meta1', '34601', '/etc/pegasus/config.ini'],
    ['m2', '1', '/c'],
  ]);
  t.deepEqual(lines, ['HOST   PORT   CONFIG', 'meta1  34601  /etc/pegasus/config.ini', 'm2     1      /c']);
  for (const l of lines) t.is(l, l.trimEnd());
});

test('indent, separators per gap, minimum widths and right-aligned counts', (t) => {
  const lines = renderTable(
    [
      ['zk', '123', 'running', '127.0.0.1:2181'],
      ['a-much-longer-name', '-', 'STOPPED', 'x'],
    ],
    { indent: '  ', sep: [' ', '  ', '  '], minWidths: [12, 7], align: ['left', 'right'] },
  );
  t.deepEqual(lines, ['  zk                     123  running  127.0.0.1:2181', '  a-much-longer-name       -  STOPPED  x']);
});

test('a fixed layout stays put while the cells fit, and still aligns when one does not', (t) => {
  const short = renderTable([['RUN', 'OUTCOME', 'LAST'], ['r1', 'succeeded', 'final-health']], { sep: ' ', minWidths: [10, 12] });
  t.deepEqual(short, ['RUN        OUTCOME      LAST', 'r1         succeeded    final-health']);
  const long = renderTable([['RUN', 'OUTCOME', 'LAST'], ['a-run-id-longer-than-ten', 'failed', '-']], { sep: ' ', minWidths: [10, 12] });
  t.is(long[0]!.indexOf('OUTCOME'), long[1]!.indexOf('failed'));
});

test('terminal-width aware: a last column too long for the terminal wraps under itself', (t) => {
  const msg = 'the cluster is not healthy on zk1:2181/pegasus/c1 after 300 s: partitions 3/8 fully healthy, nodes 2 UNALIVE';
  const lines = renderTable([['partitions', 'FAIL', msg]], { indent: '  ', sep: ' ', width: 60 });
  t.true(lines.length > 1);
  for (const l of lines) t.true(l.length < 60, l);
  const col = '  partitions FAIL '.length;
  for (const l of lines.slice(1)) t.is(l.slice(0, col).trim(), '', 'continuation lines leave the other columns blank');
  t.is(lines.map((l) => l.slice(col)).join(' '), msg, 'nothing is lost');
  t.deepEqual(renderTable([['partitions', 'FAIL', msg]], { indent: '  ', sep: ' ' }), [`  partitions FAIL ${msg}`], 'not a terminal: one line');
});
