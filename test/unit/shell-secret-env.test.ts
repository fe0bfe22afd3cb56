import test from 'ava';
import { runProcess } from '../../coordinator/lib/shell/run';

/** Issue 16 (low #18): the Pegasus shell must not inherit zkmig's ZooKeeper credentials. */
test('a child run by the shell runner does not see ZKMIG_ZK_AUTH, and keeps the rest of the environment', async (t) => {
  const r = await runProcess(['sh', '-c', 'echo "auth=${ZKMIG_ZK_AUTH-unset} other=${OTHER_VAR-unset} lc=$LC_ALL"'], {
    input: '',
    timeoutMs: 30000,
    env: { PATH: process.env.PATH, ZKMIG_ZK_AUTH: 'admin:secret', OTHER_VAR: 'kept' },
  });
  t.is(r.stdout.trim(), 'auth=unset other=kept lc=C');
});

test('the default environment (process.env) is scrubbed too', async (t) => {
  const before = process.env.ZKMIG_ZK_AUTH;
  process.env.ZKMIG_ZK_AUTH = 'admin:secret';
  try {
    const r = await runProcess(['sh', '-c', 'echo "auth=${ZKMIG_ZK_AUTH-unset}"'], { input: '', timeoutMs: 30000 });
    t.is(r.stdout.trim(), 'auth=unset');
  } finally {
    if (before === undefined) delete process.env.ZKMIG_ZK_AUTH;
    else process.env.ZKMIG_ZK_AUTH = before;
  }
});
