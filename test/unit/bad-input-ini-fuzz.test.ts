/**
 * Deterministic fuzz of the config.ini reader and editor (shared/ini): a few thousand mutated
 * Pegasus configs and random edits per seed (properties in test/fuzz/ini-fuzz.ts). A failure prints
 * the seed and iteration; reproduce it with `npm run fuzz -- --seed N --iterations M`.
 * ZKMIG_FUZZ_SEED picks another seed for one run.
 */
import test from 'ava';
import { applyEdits, parseIni, getValue } from '../../shared/ini';
import { checkCase, fuzzIni } from '../fuzz/ini-fuzz';

const SEEDS = process.env.ZKMIG_FUZZ_SEED ? [Number(process.env.ZKMIG_FUZZ_SEED)] : [0x5eed, 20261123];
const ITERATIONS = 2000;

for (const seed of SEEDS) {
  test(`INI fuzz, seed ${seed}: never an untyped error, edits parse back with untouched bytes kept`, (t) => {
    const r = fuzzIni(seed, ITERATIONS);
    if (r.failure) {
      const f = r.failure;
      t.log(`seed ${seed}, iteration ${f.iteration}: reproduce with npm run fuzz -- --seed ${seed} --iterations ${f.iteration + 1}`);
      t.log(`edit ${JSON.stringify(f.edit)}`);
      t.log(`text ${JSON.stringify(f.text.slice(0, 2000))}`);
      t.fail(`seed ${seed}: ${f.reason}`);
      return;
    }
    t.is(r.stats.cases, ITERATIONS);
    // The fuzz is only worth something if it exercises both paths.
    t.true(r.stats.accepted > ITERATIONS / 3, JSON.stringify(r.stats));
    t.true(r.stats.refused > ITERATIONS / 10, JSON.stringify(r.stats));
  });
}

// The bugs the fuzzer found, pinned as plain cases.

test('a value ending in "^" before an inline comment gets a space, else it would read as an escaped ";"', (t) => {
  for (const [text, want] of [
    ['[a]\nk = v;c\n', '[a]\nk = x^ ;c\n'],
    ['[a]\nk;c\n', '[a]\nk = x^ ;c\n'],
    ['[a]\nk =#c\n', '[a]\nk = x^ #c\n'],
  ] as const) {
    const r = applyEdits(text, [{ section: 'a', key: 'k', value: 'x^' }]);
    t.is(r.content, want);
    t.is(getValue(parseIni(r.content), 'a', 'k'), 'x^');
    t.is(checkCase(text, { section: 'a', key: 'k', value: 'x^' }).failure, undefined);
  }
});

test('a section name containing "=" is refused: "[a=b]" is not a header to Pegasus', (t) => {
  const e = t.throws(() => applyEdits('[z]\nk = 1\n', [{ section: 'a=b', key: 'k', value: 'v', createSection: true }]));
  t.is(e?.name, 'InvalidInputError');
  t.regex(e?.message ?? '', /edits\[0\]\.section "a=b" has surrounding spaces or one of \] ; # =/);
});
