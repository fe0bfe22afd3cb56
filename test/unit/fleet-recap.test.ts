import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { classifyError, makeRecap, recapClean, renderRecap } from '../../coordinator/lib/fleet';
import { tidy } from '../../coordinator/lib/fleet/classify';
import { AgentRpcError, InvalidInputError, TimeoutError } from '../../shared/errors';

test('recap counts as Ansible does: ok includes changed; several tasks on a host add up', (t) => {
  const r = makeRecap([
    { cluster: 'c1', host: 'm1', status: 'changed' },
    { cluster: 'c1', host: 'm1', status: 'ok' },
    { cluster: 'c1', host: 'meta-two', status: 'failed' },
    { cluster: 'c2', host: 'm1', status: 'unreachable' },
  ]);
  t.deepEqual(r.hosts, [
    { cluster: 'c1', host: 'm1', ok: 2, changed: 1, unreachable: 0, failed: 0 },
    { cluster: 'c1', host: 'meta-two', ok: 0, changed: 0, unreachable: 0, failed: 1 },
    { cluster: 'c2', host: 'm1', ok: 0, changed: 0, unreachable: 1, failed: 0 },
  ]);
  t.deepEqual(r.totals, { ok: 2, changed: 1, unreachable: 1, failed: 1 });
  t.false(recapClean(r));
  t.true(recapClean(makeRecap([{ cluster: 'c', host: 'h', status: 'changed' }])));
  t.is(
    renderRecap(r),
    ['RECAP', 'c1/m1        ok=2   changed=1   unreachable=0   failed=0', 'c1/meta-two  ok=0   changed=0   unreachable=0   failed=1', 'c2/m1        ok=0   changed=0   unreachable=1   failed=0', ''].join('\n'),
  );
  t.is(renderRecap(makeRecap([])), 'RECAP (no hosts)\n');
});

test('transport failures are unreachable; answers with an error are failed', (t) => {
  const rpc = (code: grpc.status): AgentRpcError => new AgentRpcError('h:7443', 'ReadConfig', code, code === grpc.status.UNAVAILABLE ? 'UNAVAILABLE' : 'PRECONDITION', `agent h:7443 ReadConfig: ${grpc.status[code]}`);
  t.deepEqual(classifyError(rpc(grpc.status.UNAVAILABLE)).status, 'unreachable');
  t.deepEqual(classifyError(rpc(grpc.status.DEADLINE_EXCEEDED)).status, 'unreachable');
  const failed = classifyError(rpc(grpc.status.FAILED_PRECONDITION));
  t.is(failed.status, 'failed');
  t.is(failed.error.grpcStatus, 'FAILED_PRECONDITION');
  t.is(classifyError(rpc(grpc.status.PERMISSION_DENIED)).status, 'failed');
  t.is(classifyError(new InvalidInputError('agent_ca_file of host "m1": cannot read /x: ENOENT')).status, 'failed');
  t.is(classifyError(new TimeoutError('slow')).status, 'unreachable');
  t.is(classifyError(new Error('boom')).error.code, 'INTERNAL');
});

test('grpc-js connection noise is trimmed from messages', (t) => {
  t.is(
    tidy('agent h:1 GetFacts: UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '),
    'agent h:1 GetFacts: UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1',
  );
  t.is(tidy('plain message'), 'plain message');
});
