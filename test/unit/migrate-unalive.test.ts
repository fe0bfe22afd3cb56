import test from 'ava';
import { isUsageError } from '../../shared/errors';
import { requireUnaliveConfirmable, unaliveApplies } from '../../coordinator/lib/migrate/unalive';

test('--allow-unalive takes a second confirmation: a terminal without --yes, or --yes-unalive', (t) => {
  const r = { method: 'recover', allowUnalive: true };
  t.notThrows(() => requireUnaliveConfirmable(r, true));
  t.notThrows(() => requireUnaliveConfirmable({ ...r, yes: true, yesUnalive: true }, false));
  t.notThrows(() => requireUnaliveConfirmable({ ...r, dryRun: true }, false));
  t.notThrows(() => requireUnaliveConfirmable({ ...r, method: 'copy' }, false));
  t.notThrows(() => requireUnaliveConfirmable({ method: 'recover' }, false));
  for (const [o, interactive] of [[r, false], [{ ...r, yes: true }, true], [{ ...r, json: true, yes: true }, true]] as const) {
    const e = t.throws(() => requireUnaliveConfirmable(o, interactive));
    t.true(isUsageError(e));
    t.regex(e!.message, /--yes-unalive/);
  }
  t.true(unaliveApplies({ method: 'recover', allowUnalive: true, dryRun: false }));
  t.false(unaliveApplies({ method: 'recover', allowUnalive: true, dryRun: true }));
});
