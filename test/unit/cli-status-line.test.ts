import test from 'ava';
import { StatusLine } from '../../coordinator/lib/io';
import { ProgressBar } from '../../coordinator/lib/zk';

test('the status line redraws in place, never wider than the terminal, and erases itself once', (t) => {
  let out = '';
  const line = new StatusLine((s) => void (out += s), true, 30);
  line.clear();
  t.is(out, '', 'nothing to erase before the first draw');
  line.draw('waiting for c1: check 1: unhealthy (leader, partitions)');
  t.is(out, '\r\x1b[K' + 'waiting for c1: check 1: u...');
  t.true(out.length - '\r\x1b[K'.length < 30, 'one column short of the width: a full line would wrap');
  out = '';
  line.clear();
  line.clear();
  t.is(out, '\r\x1b[K', 'erased once');
});

test('a disabled status line (no terminal, --json) writes nothing; the progress bar draws on it', (t) => {
  let out = '';
  const off = new StatusLine((s) => void (out += s), false, 80);
  off.draw('x');
  off.clear();
  new ProgressBar((s) => void (out += s), false).update({ label: 'copy', done: 1, total: 2, elapsedMs: 1000 });
  t.is(out, '');
  new ProgressBar((s) => void (out += s), true).update({ label: 'copy', done: 1, total: 2, elapsedMs: 1000 });
  t.true(out.startsWith('\r\x1b[K'), JSON.stringify(out));
});
