/**
 * How operators name config.ini keys on the command line: `SECTION.KEY` (`zookeeper.hosts_list`),
 * split at the LAST dot because Pegasus section names contain dots (`apps.meta`,
 * `meta_server.apps.stat`) and its key names do not; or `[SECTION]KEY` when in doubt
 * (`[apps.meta]ports`). Assignments add `=VALUE` (everything after the first `=`).
 */
import { InvalidInputError } from '../../../shared/errors';

export interface KeyPath {
  section: string;
  key: string;
}

export interface Assignment extends KeyPath {
  value: string;
}

/** `section.key`, the form used in reports and JSON. */
export function formatKeyPath(k: KeyPath): string {
  return `${k.section}.${k.key}`;
}

/** Parse `SECTION.KEY` or `[SECTION]KEY`; InvalidInputError naming the text when it is neither. */
export function parseKeyPath(text: string, what = 'key'): KeyPath {
  const t = text.trim();
  let section: string;
  let key: string;
  const bracket = /^\[([^\]]*)\](.*)$/.exec(t);
  if (bracket) {
    section = bracket[1]!.trim();
    key = bracket[2]!.trim();
  } else {
    const dot = t.lastIndexOf('.');
    if (dot <= 0 || dot === t.length - 1) {
      throw new InvalidInputError(`${what} "${text}" is not SECTION.KEY (e.g. zookeeper.hosts_list) or [SECTION]KEY`);
    }
    section = t.slice(0, dot);
    key = t.slice(dot + 1);
  }
  if (section === '' || key === '') throw new InvalidInputError(`${what} "${text}" has an empty section or key`);
  if (/[\]\r\n\0;#]/.test(section)) throw new InvalidInputError(`${what} "${text}": section "${section}" contains one of ] ; # or a line break`);
  if (/[\s=;#[\]\0]/.test(key)) throw new InvalidInputError(`${what} "${text}": key "${key}" contains a space or one of = ; # [ ]`);
  return { section, key };
}

/** Parse `SECTION.KEY=VALUE`; the value is trimmed, as Pegasus trims it. */
export function parseAssignment(text: string, what = 'assignment'): Assignment {
  const eq = text.indexOf('=');
  if (eq < 0) throw new InvalidInputError(`${what} "${text}" is not SECTION.KEY=VALUE (e.g. zookeeper.hosts_list=zk1:2181,zk2:2181)`);
  const k = parseKeyPath(text.slice(0, eq), what);
  const value = text.slice(eq + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new InvalidInputError(`${what} "${formatKeyPath(k)}": the value contains a line break or NUL`);
  return { ...k, value };
}
