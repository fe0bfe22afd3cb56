import test from 'ava';
import { endpointIds, resolveHosts, sameEndpoint, splitEndpoint } from '../../coordinator/lib/audit';

test('endpoints split into a lower-case host and a port', (t) => {
  t.deepEqual(splitEndpoint(' Meta1.Example.com:34601 '), { host: 'meta1.example.com', port: '34601' });
  t.deepEqual(splitEndpoint('[::1]:34601'), { host: '::1', port: '34601' });
  t.is(splitEndpoint('no-port'), undefined);
});

test('same endpoint: equal hosts, or a shared resolved address, and the same port', (t) => {
  const resolved = new Map([
    ['meta1', ['meta1', '10.0.0.1']],
    ['meta1-alias', ['meta1-alias', '10.0.0.1']],
  ]);
  t.true(sameEndpoint('META1:34601', 'meta1:34601', resolved));
  t.true(sameEndpoint('meta1:34601', '10.0.0.1:34601', resolved));
  t.true(sameEndpoint('meta1:34601', 'meta1-alias:34601', resolved));
  t.false(sameEndpoint('meta1:34601', '10.0.0.1:34602', resolved));
  t.false(sameEndpoint('meta1:34601', '10.0.0.2:34601', resolved));
});

test('names resolve once each, IPs are not looked up, failures and slow lookups fall back to the name', async (t) => {
  const asked: string[] = [];
  const lookup = async (h: string): Promise<string[]> => {
    asked.push(h);
    if (h === 'broken') throw new Error('ENOTFOUND');
    if (h === 'slow') return new Promise(() => undefined);
    return ['10.0.0.9'];
  };
  const r = await resolveHosts(['a:1', 'A:2', '10.0.0.1:3', 'broken:4', 'slow:5', 'garbage'], lookup, 50);
  t.deepEqual(asked.sort(), ['a', 'broken', 'slow']);
  t.deepEqual(r.get('a'), ['a', '10.0.0.9']);
  t.deepEqual(r.get('10.0.0.1'), ['10.0.0.1']);
  t.deepEqual(r.get('broken'), ['broken']);
  t.deepEqual(r.get('slow'), ['slow']);
});

test('endpoint identities agree with sameEndpoint on every pair', (t) => {
  const resolved = new Map([
    ['meta1', ['meta1', '10.0.0.1']],
    ['meta1-alias', ['meta1-alias', '10.0.0.1']],
    ['10.0.0.2', ['10.0.0.2']],
  ]);
  const list = ['META1:34601', 'meta1:34601', '10.0.0.1:34601', 'meta1-alias:34601', '10.0.0.1:34602', '10.0.0.2:34601', 'unknown:34601', 'garbage', ' Garbage ', '[::1]:34601', '::1:34601'];
  for (const a of list) {
    for (const b of list) {
      const shared = endpointIds(a, resolved).some((id) => endpointIds(b, resolved).includes(id));
      t.is(shared, sameEndpoint(a, b, resolved), `${a} vs ${b}`);
    }
  }
});
