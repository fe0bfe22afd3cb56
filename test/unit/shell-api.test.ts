import test from 'ava';
import { isTimeout, isUsageError, ShellCommandError, TimeoutError } from '../../shared/errors';
import { MetaLevel, PegasusShell, recoverCommand, RunFn, RunOptions, RunResult } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

const ARGV = ['/opt/pegasus/run.sh', 'shell', '--cluster', '10.0.0.1:34601,10.0.0.2:34601'];

/** A fake process runner answering from canned stdout/stderr, recording what it was asked. */
function fake(answers: Record<string, { stdout?: string; stderr?: string } | Error>): { run: RunFn; calls: { argv: string[]; opts: RunOptions }[] } {
  const calls: { argv: string[]; opts: RunOptions }[] = [];
  const run: RunFn = async (argv, opts) => {
    calls.push({ argv, opts });
    const a = answers[opts.input.trim()];
    if (a === undefined) throw new Error(`unexpected input ${JSON.stringify(opts.input)}`);
    if (a instanceof Error) throw a;
    const r: RunResult = { argv, exitCode: 0, signal: null, stdout: a.stdout ?? '', stderr: a.stderr ?? '', durationMs: 5 };
    return r;
  };
  return { run, calls };
}

test('clusterInfo runs the configured argv with the command on stdin and parses the answer', async (t) => {
  const f = fake({ cluster_info: { stdout: sample('cluster_info.v2.5.session.txt') } });
  const shell = new PegasusShell({ argv: ARGV, run: f.run, timeoutMs: 1234 });
  const info = await shell.clusterInfo();
  t.is(info.zookeeperRoot, '/pegasus/mycluster');
  t.deepEqual(f.calls[0]!.argv, ARGV);
  t.is(f.calls[0]!.opts.input, 'cluster_info\n');
  t.is(f.calls[0]!.opts.timeoutMs, 1234);
});

test('forCluster takes the argv of an inventory cluster', async (t) => {
  const f = fake({ 'cluster_info -j': { stdout: sample('cluster_info.master.json') } });
  const info = await PegasusShell.forCluster({ shell: { argv: ARGV } }, { run: f.run }).clusterInfo({ json: true });
  t.is(info.format, 'json');
  t.deepEqual(f.calls[0]!.argv, ARGV);
});

test('listApps and listNodes build their flags', async (t) => {
  const f = fake({ 'ls -d -a': { stdout: sample('ls-a.v2.5.txt') }, 'ls -j': { stdout: sample('ls-d.v2.5.json') }, 'nodes -d': { stdout: sample('nodes-d.v2.5.txt') }, nodes: { stdout: sample('nodes.v2.5.txt') } });
  const shell = new PegasusShell({ argv: ARGV, run: f.run });
  t.is((await shell.listApps({ detailed: true, all: true })).apps.length, 5);
  t.is((await shell.listApps({ json: true })).format, 'json');
  t.is((await shell.listNodes({ detailed: true })).nodes[0]!.replicaCount, 24);
  t.is((await shell.listNodes()).nodes[0]!.replicaCount, undefined);
});

test('stderr is read after stdout: server_info on v2.5.0 answers there', async (t) => {
  const f = fake({ server_info: { stdout: sample('cluster_info.v2.5.session.txt').split('[cluster_info]')[0], stderr: sample('server_info.v2.5.stderr.txt') } });
  const r = await new PegasusShell({ argv: ARGV, run: f.run }).serverInfo();
  t.is(r.servers.length, 2);
});

test('serverInfo can target one role', async (t) => {
  const f = fake({ 'server_info -t meta-server': { stdout: sample('server_info.master.json') } });
  t.is((await new PegasusShell({ argv: ARGV, run: f.run }).serverInfo({ target: 'meta-server' })).format, 'json');
});

test('getMetaLevel / setMetaLevel; set reports whether the level changed', async (t) => {
  const f = fake({
    get_meta_level: { stdout: 'current meta level is fl_steady\n' },
    'set_meta_level blind': { stdout: 'control meta level ok, the old level is fl_steady\n' },
    'set_meta_level steady': { stdout: 'control meta level ok, the old level is fl_steady\n' },
  });
  const shell = new PegasusShell({ argv: ARGV, run: f.run });
  t.is(await shell.getMetaLevel(), 'steady');
  t.deepEqual(await shell.setMetaLevel('blind'), { level: 'blind', oldLevel: 'steady', changed: true });
  t.deepEqual(await shell.setMetaLevel('steady'), { level: 'steady', oldLevel: 'steady', changed: false });
});

test('setMetaLevel refuses an unknown level before running anything', async (t) => {
  const f = fake({});
  const e = await t.throwsAsync(new PegasusShell({ argv: ARGV, run: f.run }).setMetaLevel('frozen' as MetaLevel));
  t.true(isUsageError(e));
  t.is(f.calls.length, 0);
});

test('a shell failure surfaces as ShellCommandError with the command sent', async (t) => {
  const f = fake({ 'set_meta_level blind': { stdout: sample('set_meta_level.error.txt') } });
  const e = (await t.throwsAsync(new PegasusShell({ argv: ARGV, run: f.run }).setMetaLevel('blind'), { instanceOf: ShellCommandError })) as ShellCommandError;
  t.is(e.command, 'set_meta_level blind');
  t.is(e.errorCode, 'ERR_FORWARD_TO_OTHERS');
});

test('a process timeout propagates as a TimeoutError', async (t) => {
  const f = fake({ cluster_info: new TimeoutError('killed') });
  t.true(isTimeout(await t.throwsAsync(new PegasusShell({ argv: ARGV, run: f.run }).clusterInfo())));
});

test('recover builds its command and waits longer than its wait time', async (t) => {
  const f = fake({ 'recover -s 10.0.0.11:34801,10.0.0.12:34801,10.0.0.13:34801 -w 300 -b': { stdout: sample('recover.ok.txt') } });
  const r = await new PegasusShell({ argv: ARGV, run: f.run }).recover({ nodes: ['10.0.0.11:34801', '10.0.0.12:34801', '10.0.0.13:34801'], waitSeconds: 300, skipBadNodes: true });
  t.is(r.result, 'ERR_OK');
  t.is(f.calls[0]!.opts.timeoutMs, 330_000);
});

test('recoverCommand validates its options', (t) => {
  t.is(recoverCommand({ nodesFile: '/tmp/c1.nodes' }), 'recover -f /tmp/c1.nodes');
  t.is(recoverCommand({ nodes: ['r1.example.com:34801'], skipLostPartitions: true }), 'recover -s r1.example.com:34801 -l');
  for (const bad of [{}, { nodes: [], nodesFile: 'x' }, { nodes: [] }, { nodes: ['r1'] }, { nodes: ['r1:1;drop'] }, { nodesFile: 'a b' }, { nodes: ['r:1'], waitSeconds: 0 }, { nodes: ['r:1'], waitSeconds: 1.5 }]) {
    t.true(isUsageError(t.throws(() => recoverCommand(bad))), JSON.stringify(bad));
  }
});

test('exec refuses a command that would be several stdin lines', async (t) => {
  const f = fake({});
  const shell = new PegasusShell({ argv: ARGV, run: f.run });
  t.true(isUsageError(await t.throwsAsync(shell.exec('ls\nset_meta_level lively'))));
  t.true(isUsageError(await t.throwsAsync(shell.exec('  '))));
  t.true(isUsageError(t.throws(() => new PegasusShell({ argv: [], run: f.run }))));
  t.is(f.calls.length, 0);
});
