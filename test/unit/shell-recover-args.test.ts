import test from 'ava';
import { ShellCommandError } from '../../shared/errors';
import { acceptedByV25Recover, parseRecover, recoverCommand, recoverNeedsIPv4, recoverNodeProblems } from '../../coordinator/lib/shell';

/**
 * v2.5.0's `recover` argument errors, exactly as src/shell/commands/recovery.cpp (`recover`)
 * prints them on stderr (the shell still exits 0): each must be a usage error, never parsed as
 * a truncated answer.
 */
const V25_ARGUMENT_ERRORS = [
  'parse abc as wait_seconds failed',
  'invalid wait_seconds 0, should be positive number',
  'should specify one of node_list_file/node_list_str',
  'should only specify one of node_list_file/node_list_str',
  "can't parse node from node_list_str",
  'parse replica1.example.com:34801 as a ip:port node failed',
  'open file mig.recover.nodes failed',
  'parse replica1.example.com:34801 at file mig.recover.nodes line 3 as ip:port failed',
  'no node specified in file mig.recover.nodes',
  // master's wording of the same two (host_port::from_string)
  'parse bad:node:x as a host:port node failed',
  'parse bad:node:x at file f line 1 as host:port failed',
];

test('every v2.5.0 recover argument error is a SHELL_USAGE error quoting the line', (t) => {
  for (const line of V25_ARGUMENT_ERRORS) {
    const e = t.throws(() => parseRecover(`${line}\n`, 'recover -s x'), { instanceOf: ShellCommandError }, line) as ShellCommandError;
    t.is(e.errorCode, 'SHELL_USAGE', line);
    t.true(e.message.includes(line), e.message);
  }
});

test('v2.5.0 from_string_ipv4: IPv4 literals and localhost with a port, nothing else', (t) => {
  for (const ok of ['10.0.0.1:34801', '127.0.0.1:1', 'localhost:34801', '0.0.0.0:65535']) t.true(acceptedByV25Recover(ok), ok);
  for (const bad of ['replica1.example.com:34801', 'replica1:34801', '10.0.0.1', '10.0.0.1:65536', '10.0.0.1:x', '10.0.0.01:34801', '10.0.0:34801', '[::1]:34801', '256.0.0.1:1']) t.false(acceptedByV25Recover(bad), bad);
});

test('host names in the recover list are refused for a 2.5 (or unknown) shell, naming the node; later shells take them', (t) => {
  t.true(recoverNeedsIPv4('2.5.0'));
  t.true(recoverNeedsIPv4('2.4.1'));
  t.true(recoverNeedsIPv4(undefined));
  t.false(recoverNeedsIPv4('2.6.0-SNAPSHOT'));
  const p = recoverNodeProblems(['10.0.0.1:34801', 'replica2.example.com:34801'], '2.5.0');
  t.is(p.length, 1);
  t.regex(p[0]!, /^replica server replica2\.example\.com:34801: .*2\.5\.0 shell's recover takes IPv4 literals/);
  t.deepEqual(recoverNodeProblems(['replica2.example.com:34801'], '2.6.0'), []);
});

test('the node list goes inline with -s (the shell need not read a file of the coordinator)', (t) => {
  t.is(recoverCommand({ nodes: ['10.0.0.1:34801', '10.0.0.2:34801'] }), 'recover -s 10.0.0.1:34801,10.0.0.2:34801');
});
