import { closeClient } from '../../../shared/zk/client-internals';
import { PreconditionError } from '../../../shared/errors';
import { parseHosts } from '../../../shared/zk/endpoint';
import { randomBytes } from 'node:crypto';
import { zk } from '../../../shared/zk/client';
import { superDigest } from '../zk-dynamic';
import { checkAuth } from '../zk/acl';
import { adminView, AdminView } from '../zk/admin-words';
import { ConfigMember, connectAdmin, DynamicConfig, endpointOf, formatMember, parseMemberLine, readConfig, reconfig, RECONFIG_CODE } from '../zk/reconfig';

/**
 * The checks `--method reconfig` runs before it changes anything, each from ZooKeeper's own view
 * (four-letter words and /zookeeper/config), never assumed: the failure modes of dynamic
 * reconfiguration are well known (ZooKeeper's reconfig guide; "My id not in the peer list",
 * NewConfigNoQuorum, two joiners forming their own quorum). Every problem found is listed at once.
 */

export interface Joiner {
  endpoint: string;
  id: number;
  /** The joiner's own line, as it runs it. */
  member: ConfigMember;
}

export interface ReconfigFacts {
  /** Client endpoints of the current members. */
  source: string;
  target: string;
  /** /zookeeper/config as read, and its version in hex. */
  configText: string;
  configVersion: string;
  oldMembers: ConfigMember[];
  joiners: Joiner[];
  /** Server version per endpoint (`srvr`). */
  versions: Record<string, string>;
  leader: string | undefined;
  warnings: string[];
}

export interface ReconfigPreflightInput {
  /** A connect string of the current ensemble. */
  source: string;
  /** The new servers' client endpoints (`--to`). */
  to: string;
  /** Digest `user:password` with the right to reconfigure (super user or WRITE on /zookeeper/config). */
  auth?: string;
  timeoutMs?: number;
}

/**
 * The digest `user:password` a reconfig run authenticates with: $ZKMIG_ZK_AUTH, the variable of
 * `zkmig zk --auth` (never a flag or a journaled parameter: it is a password). Undefined when
 * unset (an ensemble with skipACL, or one whose /zookeeper/config ACL lets anyone write).
 */
export function reconfigAuth(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.ZKMIG_ZK_AUTH;
  return v ? checkAuth(v, '$ZKMIG_ZK_AUTH') : undefined;
}

const MIN_VERSION: [number, number, number] = [3, 5, 3];

function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

/** A membership without roles' ordering concerns: sorted formatted lines. */
function sameMembers(a: readonly ConfigMember[], b: readonly ConfigMember[]): boolean {
  const f = (x: readonly ConfigMember[]): string => x.map(formatMember).sort().join('\n');
  return f(a) === f(b);
}

/**
 * Is reconfig enabled? A reconfig adding a line the server cannot parse is refused with
 * ReconfigDisabled before anything else when it is off, with BadArguments when it is on; it never
 * commits. (A reconfig removing an absent id is no probe: 3.8 commits it as a new config version.)
 */
export async function probeReconfigEnabled(client: zk.Client, timeoutMs: number): Promise<'ok' | 'disabled' | string> {
  try {
    await reconfig(client, { joining: ['server.255=zkmig-probe-not-a-port'] }, timeoutMs);
    return 'the probe was accepted by the server (it should have been refused)';
  } catch (e) {
    const code = (e as { zkCode?: number }).zkCode;
    if (code === RECONFIG_CODE.BAD_ARGUMENTS) return 'ok';
    if (code === RECONFIG_CODE.RECONFIG_DISABLED) return 'disabled';
    return (e as Error).message;
  }
}

const WRITE = 2;

/**
 * May this session reconfigure? ZooKeeper checks WRITE on /zookeeper/config last, after the new
 * config has been validated, so no refused reconfig can probe it. Instead: the node's ACL grants
 * WRITE to anyone or to our digest user; or the session is the super user (or the ensemble runs
 * with skipACL), which shows as reading a scratch ephemeral node whose ACL admits nobody. The
 * scratch node is deleted at once and goes with the session anyway.
 */
export async function probeReconfigRights(client: zk.Client, auth: string | undefined, timeoutMs: number): Promise<'ok' | 'no-auth' | string> {
  const call = <T>(f: (cb: (e: unknown, v?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      f((e, v) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve(v as T);
      });
    });
  const acls = await call<zk.ACL[]>((cb) => client.getACL('/zookeeper/config', (e, a) => cb(e, a)));
  const user = auth?.slice(0, auth.indexOf(':'));
  const digestId = auth ? superDigest(auth) : undefined;
  for (const a of acls) {
    const perms = (a as unknown as { permission: number }).permission;
    if ((perms & WRITE) === 0) continue;
    if (a.id.scheme === 'world' && a.id.id === 'anyone') return 'ok';
    if (a.id.scheme === 'digest' && digestId && a.id.id === digestId && user) return 'ok';
  }
  const path = `/zkmig-reconfig-rights-probe-${process.pid}-${Date.now()}`;
  const nobody = [new zk.ACL(zk.Permission.ALL, new zk.Id('digest', `zkmig-nobody:${randomBytes(12).toString('base64')}`))];
  try {
    await call((cb) => client.create(path, Buffer.alloc(0), nobody, zk.CreateMode.EPHEMERAL, (e) => cb(e)));
  } catch (e) {
    return `cannot create the scratch node ${path} to test for the super user: ${String(e)}`;
  }
  try {
    await call((cb) => client.getData(path, (e) => cb(e)));
    return 'ok';
  } catch (e) {
    if ((e as { code?: number }).code === RECONFIG_CODE.NO_AUTH) return 'no-auth';
    return String(e);
  } finally {
    await call((cb) => client.remove(path, -1, (e) => cb(e))).catch(() => undefined);
  }
}

export async function reconfigPreflight(i: ReconfigPreflightInput, progress: (m: string) => void = () => undefined): Promise<ReconfigFacts> {
  const timeoutMs = i.timeoutMs ?? 15000;
  const problems: string[] = [];
  const warnings: string[] = [];
  const targets = parseHosts(i.to);
  progress(`reading /zookeeper/config from ${i.source}`);
  const client = await connectAdmin(i.source, { ...(i.auth ? { auth: i.auth } : {}), connectTimeoutMs: timeoutMs });
  let config: DynamicConfig;
  let rights: string;
  try {
    config = await readConfig(client, timeoutMs);
    const enabled = await probeReconfigEnabled(client, timeoutMs);
    if (enabled === 'disabled') problems.push('reconfigEnabled is false on the ensemble: set reconfigEnabled=true on every server (a rolling restart) first');
    else if (enabled !== 'ok') problems.push(`the reconfigEnabled probe failed: ${enabled}`);
    rights = await probeReconfigRights(client, i.auth, timeoutMs);
  } finally {
    closeClient(client);
  }
  if (rights === 'disabled') problems.push('reconfigEnabled is false on the ensemble: set reconfigEnabled=true on every server (a rolling restart) first');
  else if (rights === 'no-auth') problems.push(`not authorised to reconfigure: give the super user or a digest user with WRITE on /zookeeper/config (--zk-auth user:password)${i.auth ? '; the one given was refused' : ''}`);
  else if (rights !== 'ok') problems.push(`the reconfig rights probe failed: ${rights}`);

  const old = config.members;
  for (const m of old) if (m.host === '0.0.0.0') problems.push(`server.${m.id} has the quorum address 0.0.0.0 in /zookeeper/config: joiners cannot reach it; use a routable address`);
  // ZooKeeper counts only synced followers (never observers) toward "a quorum of the new config"
  // (Leader.isQuorumSynced): promoting an observer into a config whose other voters are not a
  // quorum of it is refused with NewConfigNoQuorum. With one voter that is every promotion.
  if (old.filter((m) => m.role === 'participant').length < 2) problems.push('the ensemble has a single voting member: ZooKeeper cannot promote an observer next to it (only followers count toward the new config\'s quorum, NewConfigNoQuorum); grow it to three voters first');
  const oldEndpoints = old.map(endpointOf);
  const overlap = targets.filter((t) => oldEndpoints.includes(t));
  if (overlap.length > 0) problems.push(`--to names current members: ${overlap.join(', ')}`);

  progress(`asking ${old.length} member(s) and ${targets.length} new server(s) srvr/conf/mntr`);
  const views = await Promise.all([...oldEndpoints, ...targets].map((e) => adminView(e, Math.min(timeoutMs, 3000))));
  const byEndpoint = new Map<string, AdminView>(views.map((v) => [v.endpoint, v]));
  const versions: Record<string, string> = {};
  let down = 0;
  let leader: string | undefined;
  for (const e of oldEndpoints) {
    const v = byEndpoint.get(e)!;
    if (!v.srvr) {
      down++;
      if (v.raw.includes('whitelist')) problems.push(`${e}: the four-letter words are not allowed (4lw.commands.whitelist must include srvr, conf, mntr)`);
      continue;
    }
    versions[e] = v.srvr.version;
    if (!atLeast(v.srvr.semver, MIN_VERSION)) problems.push(`${e} runs ZooKeeper ${v.srvr.version}: dynamic reconfiguration needs 3.5.3 or later`);
    if (v.srvr.mode === 'leader') leader = e;
  }
  if (down > 1) problems.push(`${down} of ${old.length} members do not answer srvr: at most one may be down before a reconfig`);
  else if (down === 1) warnings.push('one member does not answer srvr; the reconfig still has a quorum, but no other may fail');
  if (!leader && down < old.length) problems.push('no member says it leads (srvr Mode: leader)');

  const joiners: Joiner[] = [];
  const oldIds = new Set(old.map((m) => m.id));
  for (const e of targets) {
    const v = byEndpoint.get(e)!;
    if (!v.srvr || !v.conf) {
      problems.push(`new server ${e} does not answer srvr/conf: start it with the last committed config plus itself (4lw.commands.whitelist must include srvr, conf, mntr)`);
      continue;
    }
    versions[e] = v.srvr.version;
    const id = v.conf.serverId;
    if (id === undefined) {
      problems.push(`new server ${e}: conf shows no serverId`);
      continue;
    }
    if (oldIds.has(id)) {
      problems.push(`new server ${e} has id ${id}, which the ensemble already uses: give it an unused id`);
      continue;
    }
    if (joiners.some((j) => j.id === id)) {
      problems.push(`new servers ${joiners.find((j) => j.id === id)!.endpoint} and ${e} both have id ${id}`);
      continue;
    }
    let lines: ConfigMember[];
    try {
      lines = v.conf.membership.map(parseMemberLine);
    } catch (err) {
      problems.push(`new server ${e}: cannot read its membership: ${(err as Error).message}`);
      continue;
    }
    // Once synced, a joiner runs the leader's committed config, which does not name it yet: its
    // own line is rebuilt from `conf` (ports) and --to (the address the others reach it at).
    const host = e.slice(0, e.lastIndexOf(':'));
    const q = Number(v.conf.values.quorumPort);
    const el = Number(v.conf.values.electionPort);
    const cp = Number(v.conf.values.clientPort);
    if (!(q > 0 && el > 0 && cp > 0)) {
      problems.push(`new server ${e} (id ${id}): conf shows no quorumPort/electionPort/clientPort`);
      continue;
    }
    const own: ConfigMember = lines.find((l) => l.id === id) ?? { id, host, quorumPort: q, electionPort: el, role: 'observer', clientHost: host, clientPort: cp };
    const rest = lines.filter((l) => l.id !== id);
    // "started with the last committed config plus itself" (ZooKeeper's reconfig guide); a stale
    // dynamic config, or one naming other joiners, is how split brain and "My id not in the peer list" start.
    if (!sameMembers(rest, old)) problems.push(`new server ${e} (id ${id}) runs a config other than the last committed one plus itself: restart it with /zookeeper/config (version ${config.version.toString(16)}) plus its own line`);
    if (`${own.clientHost === '0.0.0.0' ? own.host : own.clientHost}:${own.clientPort}` !== e && own.clientPort !== Number(e.split(':').pop())) problems.push(`new server ${e}: its own line has client port ${own.clientPort}`);
    if (own.host === '0.0.0.0') problems.push(`new server ${e}: its quorum address is 0.0.0.0; the others could not reach it`);
    // Seen from ZooKeeper itself: a joiner that reached the leader's quorum port runs as a
    // (non-voting) follower or observer; one that did not stays LOOKING and answers no Mode.
    if (!['follower', 'observer'].includes(v.srvr.mode)) problems.push(`new server ${e} (id ${id}) is not connected to the ensemble's leader (Mode: ${v.srvr.mode}): check that it reaches the quorum and election ports of the current members`);
    joiners.push({ endpoint: e, id, member: own });
  }
  if (problems.length > 0) throw new PreconditionError(`the ensemble cannot be reconfigured safely:\n  - ${problems.join('\n  - ')}`, { context: { problems } });
  return {
    source: oldEndpoints.join(','),
    target: targets.join(','),
    configText: config.text,
    configVersion: config.version.toString(16),
    oldMembers: old,
    joiners,
    versions,
    leader,
    warnings,
  };
}
