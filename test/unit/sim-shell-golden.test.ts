import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppInfo, PartitionConfig } from '../../sim/common/types';
import { COMMANDS, helpLine } from '../../sim/shell/commands';
import { getoptLong } from '../../sim/shell/getopt';
import { ClusterInfo, renderClusterInfo, renderLs, renderNodes, renderRecoverHeader, renderRecoverResult, renderRemoteCommand } from '../../sim/shell/render';
import { sdsSplitArgs } from '../../sim/shell/split-args';
import { TablePrinter, multiTabular } from '../../sim/shell/table-printer';

/**
 * Golden tests of the simulated shell's output against docs/pegasus-internals.md §4. The fixtures in
 * test/fixtures/shell/ are the spec's samples (cluster_info, recover and server_info verbatim; the
 * `*.sample.txt` files are the tidied samples without trailing spaces), plus the full outputs with the
 * trailing spaces the table printer writes, the -j JSON and master's variants.
 */

const FIX = path.join(__dirname, '../../../test/fixtures/shell');
const fixture = (f: string): string => fs.readFileSync(path.join(FIX, f), 'utf8');
const strip = (s: string): string => s.replace(/ +$/gm, '');

// TZ is not under our control inside ava workers, so build create_second from local time.
const CREATE_SECOND = new Date(2024, 4, 1, 12, 0, 0).getTime() / 1000;

const CI: ClusterInfo = {
  meta_servers: ['10.0.0.1:34601', '10.0.0.2:34601', '10.0.0.3:34601'],
  primary_meta_server: '10.0.0.1:34601',
  zookeeper_hosts: 'zk1:2181,zk2:2181,zk3:2181',
  zookeeper_root: '/pegasus/mycluster',
  meta_function_level: 'steady',
  balance_operation_count: { move_pri: 0, copy_pri: 0, copy_sec: 0, total: 0 },
  primary_replica_count_stddev: '0.47',
  total_replica_count_stddev: '0.00',
  cluster_name: 'mycluster',
};

const APP: AppInfo = {
  status: 'AS_AVAILABLE',
  app_type: 'pegasus',
  app_name: 'temp',
  app_id: 1,
  partition_count: 8,
  envs: {},
  is_stateful: true,
  max_replica_count: 3,
  expire_second: 0,
  create_second: CREATE_SECOND,
  drop_second: 0,
  duplicating: false,
  init_partition_count: 8,
  is_bulk_loading: false,
};

const pc = (i: number, primary: string, secondaries: string[]): PartitionConfig => ({
  pid: `1.${i}`,
  ballot: 3,
  max_replica_count: 3,
  primary,
  secondaries,
  last_drops: [],
  last_committed_decree: 0,
  partition_flags: 0,
});
const HEALTHY = new Map([[1, Array.from({ length: 8 }, (_, i) => pc(i, '10.0.0.11:34801', ['10.0.0.12:34801', '10.0.0.13:34801']))]]);

const N1 = '127.0.0.1:34801';
const N2 = '127.0.0.1:34802';
const NODES = [
  { address: '127.0.0.1:34803', status: 'NS_UNALIVE' },
  { address: N1, status: 'NS_ALIVE' },
  { address: N2, status: 'NS_ALIVE' },
];
// 3 primaries and 5 secondaries on each alive node.
const NODE_PARTS = [Array.from({ length: 8 }, (_, i) => (i < 3 ? pc(i, N1, [N2]) : i < 6 ? pc(i, N2, [N1]) : pc(i, 'invalid address', [N1, N2])))];

test('cluster_info: the v2.5.0 sample byte for byte (key column 30, values padded to the longest)', (t) => {
  t.is(renderClusterInfo(CI, 'v2.5.0', false), fixture('v2.5.0/cluster_info.txt'));
});

test('cluster_info -j: rapidjson pretty, 4 spaces, every value a string', (t) => {
  const out = renderClusterInfo(CI, 'v2.5.0', true);
  t.is(out, fixture('v2.5.0/cluster_info.json.txt'));
  t.is((JSON.parse(out) as { cluster_info: Record<string, string> }).cluster_info.primary_replica_count_stddev, '0.47');
});

test('cluster_info --format master: host:port leader and a multi-line JSON balance_operation_count', (t) => {
  const out = renderClusterInfo({ ...CI, meta_servers: ['node-1:34601', 'node-2:34601', 'node-3:34601'], primary_meta_server: 'node-1:34601' }, 'master', false);
  t.is(out, fixture('master/cluster_info.txt'));
  t.false(/total=\d/.test(out), "master breaks the scripts' grep -o 'total=[0-9]*'");
  t.regex(renderClusterInfo({ ...CI, primary_meta_server: '127.0.0.1:34601' }, 'master', false), /^primary_meta_server {11}: localhost:34601 +$/m);
});

test('ls -d: the sample of §4.4 with its trailing spaces; v2.5.0 has no atomic_idempotent column', (t) => {
  const master = renderLs([APP], HEALTHY, { all: false, detailed: true, json: false }, 'master');
  t.is(master, fixture('master/ls-d.txt'));
  t.is(strip(master), fixture('master/ls-d.sample.txt'), 'equals the tidied sample once trailing spaces go');
  const v25 = renderLs([APP], HEALTHY, { all: false, detailed: true, json: false }, 'v2.5.0');
  t.is(v25, fixture('v2.5.0/ls-d.txt'));
  t.true(v25.split('\n')[1]!.endsWith('envs_count  '), 'left-aligned cells are padded to width + 2');
  t.is(renderLs([APP], HEALTHY, { all: false, detailed: true, json: true }, 'v2.5.0'), fixture('v2.5.0/ls-d.json.txt'));
});

test('ls: health counting, -a shows dropped tables with their times, summary without -d', (t) => {
  const parts = new Map([[1, [pc(0, N1, [N2, '127.0.0.1:34803']), pc(1, N1, []), pc(2, 'invalid address', [N1]), pc(3, N1, [N2])]]]);
  const app = { ...APP, partition_count: 4 };
  const dropped: AppInfo = { ...APP, app_id: 2, app_name: 'old', status: 'AS_DROPPED', drop_second: CREATE_SECOND, expire_second: CREATE_SECOND + 86400 };
  const out = renderLs([app, dropped], parts, { all: true, detailed: true, json: false }, 'v2.5.0');
  t.regex(out, /^2 +DROPPED +old +pegasus +8 +3 +true +2024-05-01_12:00:00 +2024-05-01_12:00:00 +2024-05-02_12:00:00 +0 +$/m);
  t.regex(out, /^1 +temp +4 +1 +3 +2 +1 +$/m, 'fully=1, unhealthy=3, write_unhealthy=2 (no primary, or one replica), read_unhealthy=1');
  t.regex(out, /^total_app_count +: 1$/m, 'only AVAILABLE tables count');
  const plain = renderLs([app], parts, { all: false, detailed: false, json: false }, 'v2.5.0');
  t.false(plain.includes('[healthy_info]'));
  t.true(plain.endsWith('[summary]\ntotal_app_count  : 1\n\n'));
});

test('nodes -d -o: the §4.5 sample (right-aligned counts, [parameters] table), rows in address order', (t) => {
  const out = renderNodes(NODES, NODE_PARTS, { detailed: true, json: false, outFile: 'onebox.nodes' }, 'v2.5.0');
  t.is(out, fixture('v2.5.0/nodes-d-o.txt'));
  // The migration script's parsers: grep " ALIVE" hits only details rows; awk '{print $1,$2,$3}'.
  t.deepEqual(
    out.split('\n').filter((l) => l.includes(' ALIVE')).map((l) => l.split(/\s+/).slice(0, 3).join(' ')),
    ['127.0.0.1:34801 ALIVE 8', '127.0.0.1:34802 ALIVE 8'],
  );
  t.is(renderNodes(NODES, NODE_PARTS, { detailed: true, json: true }, 'v2.5.0'), fixture('v2.5.0/nodes-d.json.txt'));
  t.is(renderNodes(NODES, NODE_PARTS, { detailed: true, json: false, outFile: 'onebox.nodes' }, 'master'), fixture('master/nodes-d-o.txt'));
  const plain = renderNodes(NODES, [], { detailed: false, json: false }, 'v2.5.0');
  t.true(plain.startsWith('[details]\naddress          status   \n127.0.0.1:34801  ALIVE    \n'));
});

test('recover: the §4.7 block, with the hint block only when there are hints', (t) => {
  const out =
    renderRecoverHeader(['10.0.0.11:34801', '10.0.0.12:34801'], 100, false, false, 'v2.5.0') +
    'Wait recovery for 0 seconds\n' +
    renderRecoverResult('ERR_OK', 'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data\n');
  t.is(out, fixture('v2.5.0/recover.txt'));
  t.is(renderRecoverResult('ERR_TRY_AGAIN', ''), 'Recover result: ERR_TRY_AGAIN\n');
});

test('server_info: v2.5.0 writes CALL lines to stderr; master one sorted JSON object to stdout', (t) => {
  const started = 'Pegasus Server 2.5.0 (0ca31b70eac7321bb17fb034105695597245d47b) Release, Started at 2024-05-01 12:00:00';
  const v25 = renderRemoteCommand(
    'server-info',
    [],
    [
      { role: 'meta-server', address: '10.0.0.1:34601', ok: true, message: started },
      { role: 'replica-server', address: '10.0.0.11:34801', ok: false, message: 'ERR_TIMEOUT' },
    ],
    'v2.5.0',
  );
  t.is(v25.stdout, '');
  t.is(v25.stderr, fixture('v2.5.0/server_info.stderr.txt'));
  const master = renderRemoteCommand(
    'server-info',
    [],
    [
      { role: 'meta-server', address: '127.0.0.1:34601', ok: true, message: '{"build_type":"Release","git_SHA":"db756dcdf24e2af6169659a67548501ed61f106c","start_time":"2024-05-01 12:00:00","version":"2.6.0-SNAPSHOT"}' },
      { role: 'replica-server', address: N1, ok: false, message: 'ERR_TIMEOUT' },
    ],
    'master',
  );
  t.is(master.stderr, '');
  t.is(master.stdout, fixture('master/server_info.stdout.txt'));
  t.false(master.stdout.includes('Pegasus Server'), "master's JSON never matches the version gate's grep");
});

test('table printer: right-aligned columns pad on the left to width + 2; every table ends with an empty line', (t) => {
  const tp = new TablePrinter('x');
  tp.addTitle('name');
  tp.addColumn('n', 'right');
  tp.addRow('a');
  tp.appendData(10);
  const kv = new TablePrinter('y');
  kv.addRowNameAndData('k', 'v');
  kv.addRowNameAndData('longer', 'value');
  t.is(multiTabular([tp, kv]), '[x]\nname     n\na       10\n\n[y]\nk       : v    \nlonger  : value\n\n');
});

test('help lines wrap the usage at 70 columns on "] " boundaries, as print_help does', (t) => {
  t.is(helpLine(COMMANDS.find((c) => c.name === 'set_meta_level')!), '\tset_meta_level          <stopped|blind|freezed|steady|lively>\n');
  t.is(
    helpLine(COMMANDS.find((c) => c.name === 'ls')!),
    '\tls                      [-a|-all] [-d|--detailed] [-j|--json]\n\t                        [-o|--output file_name][-s|--status all|available|creating|dropping|dropped]\n',
  );
  t.is(helpLine(COMMANDS.find((c) => c.name === 'get_meta_level')!), '\tget_meta_level          \n');
});

test('sdssplitargs: quotes and escapes; unbalanced quotes are an error', (t) => {
  t.deepEqual(sdsSplitArgs('  ls   -d  '), ['ls', '-d']);
  t.deepEqual(sdsSplitArgs('a "b c" \'d e\' "x\\ty" "\\x41"'), ['a', 'b c', 'd e', 'x\ty', 'A']);
  t.deepEqual(sdsSplitArgs('ls -d\r'), ['ls', '-d'], 'a \\r left by CRLF input ends the word, so CRLF input works');
  t.deepEqual(sdsSplitArgs('   '), []);
  t.is(sdsSplitArgs('a "b'), undefined);
  t.is(sdsSplitArgs('"a"b'), undefined);
});

test('getopt_long: permutation, clusters, abbreviations and glibc error messages', (t) => {
  const longs = [
    { name: 'detailed', hasArg: false, short: 'd' },
    { name: 'output', hasArg: true, short: 'o' },
    { name: 'json', hasArg: false, short: 'j' },
  ];
  t.deepEqual(getoptLong(['ls', 'x', '-dj', '--out=f', 'y', '-o', 'g'], 'djo:', longs), {
    opts: [{ opt: 'd' }, { opt: 'j' }, { opt: 'o', arg: 'f' }, { opt: 'o', arg: 'g' }],
    positional: ['x', 'y'],
  });
  t.deepEqual(getoptLong(['ls', '-ofile'], 'djo:', longs).opts, [{ opt: 'o', arg: 'file' }]);
  t.is(getoptLong(['ls', '-x'], 'djo:', longs).error, "ls: invalid option -- 'x'");
  t.is(getoptLong(['ls', '-o'], 'djo:', longs).error, "ls: option requires an argument -- 'o'");
  t.is(getoptLong(['ls', '--bogus'], 'djo:', longs).error, "ls: unrecognized option '--bogus'");
  t.is(getoptLong(['ls', '--json=1'], 'djo:', longs).error, "ls: option '--json' doesn't allow an argument");
  t.deepEqual(getoptLong(['remote_command', '-t', 'meta-server', '--', '-x'], 't:', []).positional, ['-x']);
});
