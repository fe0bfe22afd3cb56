import anyTest, { TestFn } from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../coordinator/lib/zk-server';
import { tempDir, waitFor } from '../harness/tmp';
import { startZk, ZkEnsemble } from '../harness/zookeeper';
import { SimCluster } from '../../sim/cluster';
import { call } from '../../sim/common/rpc';
import { AppInfo, PartitionConfig } from '../../sim/common/types';
import { ClusterInfo, renderClusterInfo, renderLs, renderNodes } from '../../sim/shell/render';
import { nodeTriples } from '../../sim/testing';

/**
 * The simulated `run.sh shell` as a separate process against a live simulated cluster: banner, no
 * prompt, exit status 0, the exact text (checked against the golden-tested renderers fed with what the
 * leader answers), the error lines, -o files, --format master, and node liveness.
 */

interface Ctx {
  zk: ZkEnsemble;
  tmp: { dir: string; cleanup: () => void };
  clusters: SimCluster[];
  cleanup: () => Promise<void>;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const z = await startZk();
  const tmp = tempDir('zkmig-sim-');
  const c = await SimCluster.create({ baseDir: path.join(tmp.dir, 'sh'), zkHosts: z.zk.connectString, clusterName: 'shc' });
  t.context = { zk: z.zk, tmp, clusters: [c], cleanup: z.cleanup };
  c.startAll();
  await c.createTable('temp', 4, 3);
  await c.waitHealthy();
});

test.after.always(async (t) => {
  for (const c of t.context.clusters ?? []) await c.close();
  await t.context.cleanup?.();
  t.context.tmp?.cleanup();
});

const BANNER = /^Pegasus Shell 2\.5\.0\nType "help" for more information\.\nType "Ctrl-D" or "Ctrl-C" to exit the shell\.\n\nThe config file is: .*\/config-shell\.ini\.\d+\nThe cluster name is: shc\nThe cluster meta list is: (\S+)\n/;

/** Everything after the 7 banner lines. */
function body(out: string): string {
  return out.split('\n').slice(7).join('\n');
}

async function leaderRpc(c: SimCluster, method: string, params: unknown = {}): Promise<Record<string, unknown>> {
  const leader = (await c.leader())!;
  const r = await call(leader, method, params, 5000);
  return r.body;
}

test.serial('banner, no prompt, one command per line, exit status 0', async (t) => {
  const c = t.context.clusters[0]!;
  const r = await c.shell(['get_meta_level', 'cluster_info']);
  t.is(r.code, 0);
  t.regex(r.stdout, BANNER);
  t.is(BANNER.exec(r.stdout)![1], c.metaList);
  t.false(r.stdout.includes('>>>'));
  t.true(body(r.stdout).startsWith('current meta level is fl_steady\n[cluster_info]\n'));
  t.is(r.stderr, '');
});

test.serial('cluster_info, ls -d and nodes -d print exactly what the golden-tested renderers print for the live data', async (t) => {
  const c = t.context.clusters[0]!;
  const ci = (await leaderRpc(c, 'cluster_info')) as unknown as ClusterInfo;
  const apps = ((await leaderRpc(c, 'list_apps', { status: 'AS_INVALID' })).infos as AppInfo[]).sort((a, b) => a.app_id - b.app_id);
  const parts = new Map<number, PartitionConfig[]>();
  for (const a of apps) parts.set(a.app_id, (await leaderRpc(c, 'query_config', { app_name: a.app_name })).partitions as PartitionConfig[]);
  const nodes = (await leaderRpc(c, 'list_nodes', { status: 'NS_INVALID' })).infos as { address: string; status: string }[];
  for (const format of ['v2.5.0', 'master'] as const) {
    const r = await c.shell(['cluster_info', 'ls -d', 'nodes -d', 'cluster_info -j', 'ls -d -j', 'nodes -d -j'], { format });
    const expected =
      renderClusterInfo(ci, format, false) +
      renderLs(apps, parts, { all: false, detailed: true, json: false }, format) +
      renderNodes(nodes, [...parts.values()], { detailed: true, json: false }, format) +
      renderClusterInfo(ci, format, true) +
      renderLs(apps, parts, { all: false, detailed: true, json: true }, format) +
      renderNodes(nodes, [...parts.values()], { detailed: true, json: true }, format);
    t.is(body(r.stdout), expected, format);
  }
  // The facts the migration checks read from this output.
  t.deepEqual(ci.meta_servers, c.metas.map((m) => m.address));
  t.is(ci.zookeeper_hosts, t.context.zk.connectString);
  t.is(ci.zookeeper_root, '/pegasus/shc');
  t.is(ci.cluster_name, 'shc');
  t.deepEqual(
    nodes.map((n) => n.status),
    ['NS_ALIVE', 'NS_ALIVE', 'NS_ALIVE'],
  );
});

test.serial('no meta answers: every command prints its ERR_TIMEOUT line', async (t) => {
  const c = t.context.clusters[0]!;
  const nobody = `127.0.0.1:${await freePort()}`;
  const r = await c.shell(['cluster_info', 'ls', 'nodes -d', 'get_meta_level', 'set_meta_level steady', 'create x', 'drop x', 'recover -s 127.0.0.1:1 -w 2', 'server_info'], { cluster: nobody, rpcTimeoutMs: 600 });
  t.is(r.code, 0);
  t.regex(r.stdout, /^The cluster name is: shc$/m, '-n with a shell config: the given name when the meta does not answer');
  const out = body(r.stdout);
  for (const line of [
    'get cluster info failed, error=ERR_TIMEOUT',
    'list apps failed, error=ERR_TIMEOUT',
    'list nodes failed, error=ERR_TIMEOUT',
    'get meta level got error ERR_TIMEOUT',
    'control meta level got error ERR_TIMEOUT',
    'create app x failed: [create] call server error: ERR_TIMEOUT',
    'create app "x" failed, error = ERR_TIMEOUT',
    'drop app x failed, error=ERR_TIMEOUT',
    'Wait recovery for 0 seconds',
    'Wait recovery failed, administrator should check the meta for progress',
  ]) {
    t.true(out.split('\n').includes(line), line);
  }
  t.regex(r.stderr, /^ERROR: list node failed: ERR_TIMEOUT\nprepare nodes failed, type = all$/m);
});

test.serial('input handling: empty lines, bad quotes, unknown commands, getopt errors and USAGE, exit', async (t) => {
  const c = t.context.clusters[0]!;
  const r = await c.shell(['', 'ls "unterminated', 'bogus', 'ls -x', 'cluster_info --json=1', 'nodes -s sleeping', 'set_meta_level', 'exit', 'get_meta_level']);
  const out = body(r.stdout).split('\n');
  t.is(out[0], 'Invalid argument(s)', 'v2.5.0 scanfCommand returns NULL for an empty line');
  t.is(out[1], 'Invalid argument(s)');
  t.is(out[2], "ERROR: invalid subcommand 'bogus'");
  t.is(out[3], 'Usage:');
  t.true(out.includes('\tcluster_info            [-r|--resolve_ip] [-o|--output file_name] [-j|--json]'));
  t.true(out.includes('USAGE: \tls                      [-a|-all] [-d|--detailed] [-j|--json]'));
  t.true(out.includes('USAGE: \tset_meta_level          <stopped|blind|freezed|steady|lively>'));
  t.is(out.filter((l) => l.startsWith('USAGE: ')).length, 4);
  t.false(out.some((l) => l.startsWith('current meta level')), 'exit stops the shell');
  t.is(r.stderr, "ls: invalid option -- 'x'\ncluster_info: option '--json' doesn't allow an argument\nparse sleeping as node_status::type failed");
  t.is(r.code, 0);
});

test.serial('-o writes the output to a file in the cwd; nodes adds its [parameters] table', async (t) => {
  const c = t.context.clusters[0]!;
  const cwd = path.join(t.context.tmp.dir, 'out');
  fs.mkdirSync(cwd);
  const r = await c.shell(['nodes -d -o n.txt', 'ls -o a.txt', 'cluster_info -o c.txt', 'nodes -s alive -j'], { cwd });
  const [first, ...rest] = body(r.stdout).split('\n');
  t.is(first, '{', 'the -o commands printed nothing');
  t.is(JSON.parse([first, ...rest].join('\n')).parameters.status, 'alive');
  const nodes = fs.readFileSync(path.join(cwd, 'n.txt'), 'utf8');
  t.true(nodes.startsWith('[parameters]\nout_file  : n.txt\n\n[details]\naddress          status    replica_count  primary_count  secondary_count\n'));
  t.is(nodeTriples(nodes).length, 3);
  t.regex(fs.readFileSync(path.join(cwd, 'a.txt'), 'utf8'), /^\[general_info\]\napp_id +status +app_name/);
  t.regex(fs.readFileSync(path.join(cwd, 'c.txt'), 'utf8'), /^\[cluster_info\]\nmeta_servers +: /);
});

test.serial('create and drop print the ddl client lines; remote_command answers OK', async (t) => {
  const c = t.context.clusters[0]!;
  const leader = (await c.leader())!;
  const r = await c.shell(['create t2 -p 2', 'create t2', 'create bad/name', 'drop t2', 'drop t2', `remote_command -l ${leader} meta.lb.assign_delay_ms 10`]);
  const out = body(r.stdout);
  t.regex(out, /^create app t2 succeed, waiting for app ready\n(t2 not ready yet, still waiting\.\.\. \(\d\/2\)\n)*t2 is ready now: \(2\/2\)\nt2 is ready now!\ncreate app "t2" succeed\n/);
  t.regex(out, /^create app t2 failed: \[create\] received server error: ERR_INVALID_PARAMETERS$/m, 'exists with other options');
  t.regex(out, /^create app bad\/name failed: invalid app_name$/m);
  t.is(out.split('\n').filter((l) => l === 'drop app t2 succeed').length, 2, 'dropping a missing table succeeds (success_if_not_exist)');
  t.regex(r.stderr, new RegExp(`^CALL \\[user-specified\\] \\[${leader.replace(/\./g, '\\.')}\\] succeed: OK$`, 'm'));
  t.is(r.stderr.split('\n').filter((l) => /OK/.test(l)).length, 1, "the scripts' grep for exactly one OK line");
});

test.serial('recover: argument errors on stderr, and ERR_SERVICE_ALREADY_RUNNING on a running cluster', async (t) => {
  const c = t.context.clusters[0]!;
  const r = await c.shell(['recover', 'recover -f missing.txt', 'recover -s host:1', 'recover -w 0 -s 127.0.0.1:1', 'recover -f x -s y', `recover -s ${c.replicas[0]!.address},${c.replicas[0]!.address} -w 3`]);
  t.is(
    r.stderr,
    [
      'should specify one of node_list_file/node_list_str',
      'open file missing.txt failed',
      'parse host:1 as a ip:port node failed',
      'invalid wait_seconds 0, should be positive number',
      'should only specify one of node_list_file/node_list_str',
      '',
    ].join('\n'),
  );
  const out = body(r.stdout);
  t.is(out.split('\n').filter((l) => l.startsWith('USAGE: \trecover')).length, 3);
  t.regex(out, new RegExp(`^duplicate replica node ${c.replicas[0]!.address.replace(/\./g, '\\.')}, just ingore it$`, 'm'));
  t.regex(out, /^Recover result: ERR_SERVICE_ALREADY_RUNNING$/m);

  const cwd = path.join(t.context.tmp.dir, 'rec');
  fs.mkdirSync(cwd);
  const o = await c.shell(`recover -s ${c.replicas[0]!.address} -w 3 -o rec.out`, { cwd });
  t.is(body(o.stdout), 'recover complete with err = ERR_SERVICE_ALREADY_RUNNING\n', 'with -o only the summary line goes to stdout');
  t.regex(fs.readFileSync(path.join(cwd, 'rec.out'), 'utf8'), /^Wait seconds: 3\n(.*\n)*Recover result: ERR_SERVICE_ALREADY_RUNNING\n$/);
});

test.serial('--format master: version, JSON server_info on stdout, host:port addresses, red ERROR lines', async (t) => {
  const c = t.context.clusters[0]!;
  const r = await c.shell(['server_info', 'nodes', 'set_meta_level fast', 'ls'], { format: 'master' });
  t.true(r.stdout.startsWith('Pegasus Shell 2.6.0-SNAPSHOT\n'));
  const json = body(r.stdout).slice(0, body(r.stdout).indexOf('\n}\n') + 2);
  const info = JSON.parse(json) as { command: string; succeed_count: number; details: Record<string, { role: string; message: { version: string } }> };
  t.is(info.command, 'server-info ');
  t.is(info.succeed_count, 5);
  t.is(info.details[`localhost:${c.metas[0]!.port}`]!.message.version, '2.6.0-SNAPSHOT');
  t.regex(r.stdout, new RegExp(`^localhost:${c.replicas[0]!.port} +ALIVE`, 'm'));
  t.regex(r.stdout, /^app_id +status +app_name .* atomic_idempotent +$/m);
  t.is(r.stderr, '\x1b[1m\x1b[38;2;255;000;000mERROR: parse fast as meta function level failed\n\x1b[0m');
});

test.serial('a stopped replica is UNALIVE after fd_grace_seconds; its replicas survive a restart', async (t) => {
  const c = t.context.clusters[0]!;
  const before = nodeTriples((await c.shell('nodes -d')).stdout);
  const r1 = c.replicas[1]!;
  const stoppedAt = Date.now();
  t.deepEqual(await c.stopReplica(1), { code: null, signal: 'SIGTERM' });
  await waitFor('the replica to be reported UNALIVE', async () => new RegExp(`^${r1.address.replace(/\./g, '\\.')} +UNALIVE`, 'm').test((await c.shell('nodes')).stdout), 20000, 200);
  const took = Date.now() - stoppedAt;
  // The last beacon may predate the stop by up to one beacon interval.
  t.true(took >= (c.timing.fdGraceSeconds - c.timing.fdBeaconIntervalSeconds) * 1000, `UNALIVE after ${took} ms, not before the grace period`);
  const si = await c.shell('server_info -t replica-server');
  t.is(si.stderr.split('\n').filter((l) => l.startsWith('CALL [replica-server]')).length, 2, 'only ALIVE replica servers are asked');
  t.regex((await c.shell('cluster_info')).stdout, /^meta_function_level +: freezed *$/m, '2 of 3 alive: automatic freeze');

  c.startReplica(1);
  await c.waitHealthy();
  await waitFor('the node counts to come back', async () => JSON.stringify(nodeTriples((await c.shell('nodes -d')).stdout)) === JSON.stringify(before), 20000, 300);
  t.regex(c.log(r1), /load replicas from .*: [1-9]\d* replicas/);
});
