import test from 'ava';
import { isUsageError, ShellCommandError } from '../../shared/errors';
import { parseClusterInfo, parseListApps, parseListNodes, prepare } from '../../coordinator/lib/shell';
import { sample } from './shell-fixtures';

test('the banner is parsed and stripped', (t) => {
  const out = prepare('cluster_info', sample('cluster_info.v2.5.session.txt'));
  t.deepEqual(out.banner, {
    version: '2.5.0',
    configFile: 'config-shell.ini.12345',
    clusterName: 'mycluster',
    metaList: '10.0.0.1:34601,10.0.0.2:34601,10.0.0.3:34601',
  });
  t.is(out.lines[0], '[cluster_info]');
});

test('an unknown command is a usage error naming it', (t) => {
  for (const parse of [parseClusterInfo, parseListApps, parseListNodes]) {
    const e = t.throws(() => parse(sample('unknown-command.txt'), 'frob'), { instanceOf: ShellCommandError }) as ShellCommandError;
    t.is(e.errorCode, 'SHELL_UNKNOWN_COMMAND');
    t.true(isUsageError(e));
    t.regex(e.message, /"frob"/);
  }
});

test('the output of one command given to another parser is an error, not a guess', (t) => {
  t.throws(() => parseListApps(sample('nodes-d.v2.5.txt')), { message: /unexpected table \[details\]/ });
  t.throws(() => parseListNodes(sample('cluster_info.v2.5.txt')), { message: /unexpected table \[cluster_info\]/ });
  t.throws(() => parseClusterInfo(sample('get_meta_level.txt')), { message: /not part of any \[table\]/ });
});

test('CRLF line ends are accepted', (t) => {
  t.is(parseClusterInfo(sample('cluster_info.v2.5.txt').replace(/\n/g, '\r\n')).zookeeperRoot, '/pegasus/mycluster');
});
