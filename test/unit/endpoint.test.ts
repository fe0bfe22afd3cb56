import test from 'ava';
import { isInvalidInput } from '../../shared/errors';
import { normalizePath, parseEndpoint } from '../../shared/zk/endpoint';

test('parses hosts and path', (t) => {
  t.deepEqual(parseEndpoint('127.0.0.1:2181,zk2:2182/pegasus/c1/'), { hosts: '127.0.0.1:2181,zk2:2182', path: '/pegasus/c1' });
  t.deepEqual(parseEndpoint('zk:2181'), { hosts: 'zk:2181', path: '/' });
});

test('normalises like Pegasus does for cluster_root', (t) => {
  t.is(normalizePath('//pegasus///x/'), '/pegasus/x');
  t.is(normalizePath('/'), '/');
});

for (const bad of ['', 'zk', 'zk:0/x', 'zk:70000', 'zk:2181/a/../b', 'zk:2181/a\u0000b', 'zk:abc/x', 'zk:2181,/x', 'zk:2181/./x', 'bad host:2181/x']) {
  test(`rejects ${JSON.stringify(bad)} with a message naming it`, (t) => {
    const err = t.throws(() => parseEndpoint(bad));
    t.true(isInvalidInput(err));
    t.regex(err!.message, /endpoint|path|host/);
  });
}
