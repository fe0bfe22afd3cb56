import { ShellCommandError } from '../../../shared/errors';
import { address, Output, prepare, throwIfFailed, unparsable } from './output';
import { RecoverHint, RecoverResult } from './types';

const SEPARATOR = /^={5,}$/;

/**
 * Parse `recover` output (docs/pegasus-internals.md §4.7, `src/shell/commands/recovery.cpp` and
 * `replication_ddl_client::do_recovery`):
 *
 * ```
 * Wait seconds: 100
 * Skip bad nodes: false
 * Skip lost partitions: false
 * Node list:
 * =============================
 * 10.0.0.11:34801
 * =============================
 * Wait recovery for 0 seconds        (one per elapsed second)
 * Recover result: ERR_OK
 * =============================      (hint block, only when the meta sent hints)
 * WARNING: partition(1.0) only collects 2/3 of replicas, may lost data
 * =============================
 * ```
 *
 * Some hint strings lack their trailing newline in the Pegasus source, so hints (and the closing
 * separator) may run together on one line; they are split on their `ERROR: `/`WARNING: ` prefix.
 * A result other than ERR_OK is thrown as a ShellCommandError carrying the hints in `context.hints`.
 */
export function parseRecover(text: string, command = 'recover'): RecoverResult {
  const out = prepare(command, text);
  throwIfFailed(out);
  const lines = out.lines.map((text, at) => ({ text: text.trim(), at })).filter((l) => l.text !== '');
  const duplicateNodes: string[] = [];
  let i = 0;
  const next = (): { text: string; at: number } | undefined => {
    // `duplicate replica node <n>, just ingore it` (sic) can come before the block.
    while (i < lines.length) {
      const m = /^duplicate replica node (\S+), just ingore it$/.exec(lines[i]!.text);
      if (!m) break;
      duplicateNodes.push(m[1]!);
      i++;
    }
    return lines[i++];
  };
  const expect = (re: RegExp, what: string): RegExpExecArray => {
    const l = next();
    if (!l) throw unparsable(out, undefined, `output ends before "${what}" (truncated output?)`);
    const m = re.exec(l.text);
    if (!m) throw unparsable(out, l.at, `expected "${what}"`);
    return m;
  };
  const boolOf = (m: RegExpExecArray): boolean => m[1] === 'true';

  const wait = expect(/^Wait seconds: (\d+)$/, 'Wait seconds: <n>');
  const skipBad = expect(/^Skip bad nodes: (true|false)$/, 'Skip bad nodes: true|false');
  const skipLost = expect(/^Skip lost partitions: (true|false)$/, 'Skip lost partitions: true|false');
  expect(/^Node list:$/, 'Node list:');
  expect(SEPARATOR, '=============================');
  const nodes: string[] = [];
  for (;;) {
    const l = next();
    if (!l) throw unparsable(out, undefined, 'the node list is not closed by a separator line (truncated output?)');
    if (SEPARATOR.test(l.text)) break;
    nodes.push(address(out, l.at, 'node', l.text));
  }
  let waitedSeconds = 0;
  let result: string | undefined;
  let resultAt = -1;
  for (;;) {
    const l = next();
    if (!l) throw unparsable(out, undefined, 'no "Recover result: ..." line (truncated output?)');
    if (/^Wait recovery for \d+ seconds$/.test(l.text)) {
      waitedSeconds++;
      continue;
    }
    const m = /^Recover result: (ERR_[A-Z0-9_]+)$/.exec(l.text);
    if (!m) throw unparsable(out, l.at, 'expected "Wait recovery for <n> seconds" or "Recover result: ERR_..."');
    result = m[1]!;
    resultAt = l.at;
    break;
  }
  const hints = parseHints(out, lines.slice(i));

  if (result !== 'ERR_OK') {
    const errors = hints.filter((h) => h.level === 'ERROR').map((h) => h.message);
    throw new ShellCommandError(command, result, `Pegasus shell command "${command}" failed: Recover result: ${result}${errors.length ? `; ${errors.join('; ')}` : ''}`, {
      context: { hints, line: resultAt + 1, output: out.lines.join('\n') },
    });
  }
  return {
    waitSeconds: Number(wait[1]),
    skipBadNodes: boolOf(skipBad),
    skipLostPartitions: boolOf(skipLost),
    nodes,
    duplicateNodes,
    waitedSeconds,
    result: 'ERR_OK',
    hints,
  };
}

/** The optional hint block after the result, and `recover complete with err = ...` (printed with -o). */
function parseHints(out: Output, rest: { text: string; at: number }[]): RecoverHint[] {
  const hints: RecoverHint[] = [];
  let inBlock = false;
  let closed = false;
  for (const l of rest) {
    if (/^recover complete with err = ERR_[A-Z0-9_]+$/.test(l.text)) continue;
    // Split "WARNING: a=====" and "WARNING: aWARNING: b" into their parts.
    const parts = l.text.split(/(={5,})|(?=(?:ERROR|WARNING): )/).filter((p) => p !== undefined && p !== '');
    for (const p of parts) {
      if (SEPARATOR.test(p)) {
        if (closed) throw unparsable(out, l.at, 'a second hint block');
        if (inBlock) closed = true;
        inBlock = !inBlock;
        continue;
      }
      const m = /^(ERROR|WARNING): (.+)$/.exec(p.trim());
      if (!m || !inBlock) throw unparsable(out, l.at, inBlock ? 'expected an "ERROR: ..." or "WARNING: ..." hint' : 'unexpected text after "Recover result"');
      hints.push({ level: m[1] as 'ERROR' | 'WARNING', message: m[2]!.trim() });
    }
  }
  if (inBlock) throw unparsable(out, undefined, 'the hint block is not closed by a separator line (truncated output?)');
  return hints;
}
