import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkBackupPath, listBackups, pruneBackups, writeBackup } from '../../agent/ops/backups';
import { FileAllowlist } from '../../agent/ops/paths';
import { isInvalidInput, isNotFound, isPermissionDenied } from '../../shared/errors';
import { tempDir } from '../harness/tmp';

function setup(): { dir: string; conf: string; outside: string; allow: FileAllowlist; cleanup: () => void } {
  const t = tempDir('zkmig-paths-');
  const dir = fs.realpathSync(t.dir);
  fs.mkdirSync(path.join(dir, 'conf'));
  fs.mkdirSync(path.join(dir, 'outside'));
  const conf = path.join(dir, 'conf', 'config.ini');
  const outside = path.join(dir, 'outside', 'secret.ini');
  fs.writeFileSync(conf, '[a]\n');
  fs.writeFileSync(outside, 'secret\n');
  return { dir, conf, outside, allow: new FileAllowlist([{ path: conf, backupDir: path.dirname(conf) }]), cleanup: t.cleanup };
}

test('only the exact listed path resolves', (t) => {
  const s = setup();
  t.teardown(s.cleanup);
  t.is(s.allow.resolve(s.conf).path, s.conf);
  t.true(isPermissionDenied(t.throws(() => s.allow.resolve(s.outside))));
  t.true(isPermissionDenied(t.throws(() => s.allow.resolve(`${s.dir}/conf/../conf/config.ini`))));
  t.true(isPermissionDenied(t.throws(() => s.allow.resolve(`${s.dir}/conf//config.ini`))));
  t.true(isPermissionDenied(t.throws(() => s.allow.resolve('conf/config.ini'))));
  t.true(isInvalidInput(t.throws(() => s.allow.resolve(''))));
  t.true(isInvalidInput(t.throws(() => s.allow.resolve(`${s.conf}\0`))));
});

test('a listed file replaced by a symlink, or reached through a symlinked directory, is denied', (t) => {
  const s = setup();
  t.teardown(s.cleanup);
  fs.rmSync(s.conf);
  fs.symlinkSync(s.outside, s.conf);
  t.regex(t.throws(() => s.allow.resolve(s.conf))?.message ?? '', /is now a symlink/);
  fs.rmSync(path.join(s.dir, 'conf'), { recursive: true });
  fs.symlinkSync(path.join(s.dir, 'outside'), path.join(s.dir, 'conf'));
  fs.renameSync(s.outside, path.join(s.dir, 'outside', 'config.ini'));
  const e = t.throws(() => s.allow.resolve(s.conf));
  t.true(isPermissionDenied(e));
  t.regex(e?.message ?? '', /through a symlinked directory/);
});

test('a listed file that is missing is NOT_FOUND', (t) => {
  const s = setup();
  t.teardown(s.cleanup);
  fs.rmSync(s.conf);
  t.true(isNotFound(t.throws(() => s.allow.resolve(s.conf))));
});

test('backups: named after the file and the time, listed newest first, pruned, and only they can be restored', async (t) => {
  const s = setup();
  t.teardown(s.cleanup);
  const file = { path: s.conf, backupDir: path.dirname(s.conf) };
  const owner = { mode: 0o640, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const b1 = await writeBackup(file, Buffer.from('one'), owner, new Date('2026-01-02T03:04:05.006Z'));
  const b2 = await writeBackup(file, Buffer.from('two'), owner, new Date('2026-01-02T03:04:05.006Z'));
  const b3 = await writeBackup(file, Buffer.from('three'), owner, new Date('2026-02-01T00:00:00.000Z'));
  t.is(path.basename(b1), 'config.ini.20260102T030405.006Z.zkmig-backup');
  t.is(path.basename(b2), 'config.ini.20260102T030405.006Z-1.zkmig-backup');
  t.is(fs.statSync(b1).mode & 0o777, 0o640);
  t.deepEqual(listBackups(file).map((b) => b.path), [b3, b2, b1]);
  t.is(listBackups(file)[0]?.created, '2026-02-01T00:00:00.000Z');
  t.is(checkBackupPath(file, b1), b1);
  for (const bad of [s.outside, s.conf, `${path.dirname(s.conf)}/../conf/${path.basename(b1)}`, path.join(s.dir, 'outside', path.basename(b1))]) {
    t.true(isPermissionDenied(t.throws(() => checkBackupPath(file, bad))), bad);
  }
  t.deepEqual(await pruneBackups(file, 2), [b1]);
  t.false(fs.existsSync(b1));
});

test('backups in a shared directory carry a hash of the file path, so two config.ini files never mix', async (t) => {
  const s = setup();
  t.teardown(s.cleanup);
  const shared = path.join(s.dir, 'backups');
  const a = { path: s.conf, backupDir: shared };
  const other = path.join(s.dir, 'outside', 'config.ini');
  fs.writeFileSync(other, 'x');
  const b = { path: other, backupDir: shared };
  const owner = { mode: 0o600, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const pa = await writeBackup(a, Buffer.from('a'), owner, new Date());
  await writeBackup(b, Buffer.from('b'), owner, new Date());
  t.regex(path.basename(pa), /^config\.ini\.[0-9a-f]{8}\.\d{8}T/);
  t.deepEqual(listBackups(a).map((x) => x.path), [pa]);
  t.true(isPermissionDenied(t.throws(() => checkBackupPath(b, pa))));
});
