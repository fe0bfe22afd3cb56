import { InvalidInputError } from '../../../shared/errors';

/**
 * Command lines written by operators (the inventory's `pegasus_shell`) are split into an argv list
 * here and run without a shell (style rule 4). Quoting follows POSIX shell words: '...' is literal,
 * "..." allows \" \\ \$ \` escapes, a backslash outside quotes escapes the next character. Nothing
 * is expanded, so shell syntax that would mean something to /bin/sh (pipes, redirections, `$VAR`,
 * globs...) is refused instead of being passed on as a literal argument the operator did not mean.
 */

/** One word of a command line, with whether it held unquoted shell syntax. */
interface Word {
  text: string;
  /** Unquoted characters that a shell would have interpreted, in order. */
  specials: string;
}

const SHELL_SPECIAL = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '~', '{', '}', '!']);

/**
 * Split `line` into words. With `comments`, an unquoted `#` ends the line, even inside a word
 * (Python's `shlex.split(line, comments=True)`, which Ansible uses for INI host lines).
 */
function words(line: string, comments: boolean): Word[] {
  const out: Word[] = [];
  let cur: Word | undefined;
  const start = (): Word => (cur ??= { text: '', specials: '' });
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (cur) out.push(cur);
      cur = undefined;
      continue;
    }
    if (c === '#' && comments) break;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new InvalidInputError(`unterminated single quote in ${JSON.stringify(line)}`);
      start().text += line.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      const w = start();
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        w.text += line[j];
      }
      if (j >= line.length) throw new InvalidInputError(`unterminated double quote in ${JSON.stringify(line)}`);
      i = j;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= line.length) throw new InvalidInputError(`trailing backslash in ${JSON.stringify(line)}`);
      start().text += line[++i];
      continue;
    }
    const w = start();
    if (SHELL_SPECIAL.has(c)) w.specials += c;
    w.text += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** Split like a shell would, keeping unquoted special characters literally (for inventory host lines). */
export function shlexSplit(line: string, opts: { comments?: boolean } = {}): string[] {
  return words(line, opts.comments ?? false).map((w) => w.text);
}

/**
 * Split a command line into argv. Refuses empty lines and unquoted shell syntax, naming the
 * character: `run.sh shell | tee x` must not silently become the arguments `|`, `tee`, `x`.
 * Braces are allowed because `{meta_servers}` placeholders are expanded later by expandArgv.
 */
export function splitCommandLine(line: string): string[] {
  const ws = words(line, false);
  if (ws.length === 0) throw new InvalidInputError('command line is empty');
  for (const w of ws) {
    const special = [...w.specials].find((c) => c !== '{' && c !== '}');
    if (special !== undefined) {
      throw new InvalidInputError(
        `command line ${JSON.stringify(line)} contains the unquoted shell character "${special}" in "${w.text}"; ` +
          'it is run without a shell, so quote the character if it is meant literally',
      );
    }
  }
  return ws.map((w) => w.text);
}

/**
 * Replace `{name}` placeholders inside each argv word. Substitution happens after splitting, so a
 * value with spaces stays one argument. An unknown placeholder is an error naming it.
 */
export function expandArgv(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return argv.map((word) =>
    word.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
      const v = values[name];
      if (v === undefined) {
        const known = Object.keys(values).map((k) => `{${k}}`).join(', ');
        throw new InvalidInputError(`unknown placeholder {${name}} in "${word}" (known: ${known})`);
      }
      return v;
    }),
  );
}

/** Quote argv for display so that it could be pasted into a POSIX shell. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && /^[A-Za-z0-9_./:,=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
