/** `--expect SECTION.KEY=VALUE`, validated before anything is read. */
import { UsageError } from '../../../shared/errors';
import { formatKeyPath, invalidValueReason, misplacedKey, parseAssignment } from '../config-edit';
import type { Expectation } from './types';

export function parseExpectations(texts: readonly string[]): Expectation[] {
  const out: Expectation[] = [];
  for (const t of texts) {
    let a;
    try {
      a = parseAssignment(t, '--expect');
    } catch (e) {
      throw new UsageError((e as Error).message, { cause: e });
    }
    const right = misplacedKey(a);
    if (right) throw new UsageError(`--expect ${formatKeyPath(a)}: Pegasus never reads that key there; expect ${formatKeyPath(right)} instead`);
    const why = invalidValueReason(a, a.value);
    if (why) throw new UsageError(`--expect ${formatKeyPath(a)}: ${why}`);
    if (out.some((e) => e.section === a.section && e.key === a.key)) throw new UsageError(`--expect ${formatKeyPath(a)} is given twice`);
    out.push({ section: a.section, key: a.key, value: a.value });
  }
  return out;
}
