import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppInfo, PartitionConfig, PartitionStatus, ReplicaInfo } from '../common/types';

/**
 * A replica server's durable state: the replicas it holds, each with its app_info (as written when the
 * replica was created; a real replica never rewrites it, which is why `recover` brings dropped tables
 * back as live ones), ballot and decrees. One JSON file under the data dir, replaced atomically
 * (write temp → fsync → rename) on every change. Roles are not trusted across restarts: a loaded
 * replica is PS_INACTIVE until the meta's config sync says otherwise, as in Pegasus.
 */

export interface StoredReplica {
  app: AppInfo;
  ballot: number;
  last_committed_decree: number;
  last_prepared_decree: number;
  last_durable_decree: number;
  status: PartitionStatus;
  /** The last partition config this replica accepted (its membership when primary). */
  config?: PartitionConfig;
}

export const STATE_FILE = 'sim-replicas.json';

/** From this many replicas on, writes are coalesced (see `save`). */
export const LARGE_STORE = 100;
/** A coalesced write waits this many times the last write's duration after it. */
const LARGE_STORE_GAP_FACTOR = 4;

export class ReplicaStore {
  readonly replicas = new Map<string, StoredReplica>();
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, STATE_FILE);
  }

  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (!fs.existsSync(this.file)) return;
    const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { replicas: Record<string, StoredReplica> };
    for (const [gpid, r] of Object.entries(data.replicas ?? {})) this.replicas.set(gpid, { ...r, status: 'PS_INACTIVE' });
  }

  /**
   * Persist the replicas. A small store (every test cluster) is written at once, before the caller
   * answers anyone, as before. A large one (hundreds to thousands of replicas, the sandbox's large profile) would
   * rewrite megabytes on every single change, so its writes are coalesced: at most one write in
   * flight per `LARGE_STORE_GAP_FACTOR` × the last write's duration. A replica server killed in that
   * gap restarts with slightly older replicas, which the meta's config sync brings up to date.
   */
  save(): void {
    if (this.replicas.size < LARGE_STORE) {
      this.writeNow();
      return;
    }
    if (this.flushTimer) return;
    const gap = Math.max(0, this.lastWriteMs * LARGE_STORE_GAP_FACTOR - (Date.now() - this.lastWriteAt));
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.writeNow();
    }, gap);
  }

  private flushTimer: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;
  private lastWriteAt = 0;

  /** Write now, whatever the size (a pending coalesced write is folded in). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.writeNow();
  }

  private writeNow(): void {
    const t0 = Date.now();
    const large = this.replicas.size >= LARGE_STORE;
    // Pretty-printed while small (tests and people read it), compact when large.
    const body = JSON.stringify({ version: 1, replicas: Object.fromEntries(this.sorted()) }, null, large ? undefined : 1);
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, body);
      // A process kill cannot lose written pages; fsync only guards against a machine crash, which
      // costs too much per change at this size.
      if (!large) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    this.lastWriteAt = Date.now();
    this.lastWriteMs = this.lastWriteAt - t0;
  }

  infos(): ReplicaInfo[] {
    return this.sorted().map(([pid, r]) => ({
        pid,
        ballot: r.ballot,
        status: r.status,
        last_committed_decree: r.last_committed_decree,
        last_prepared_decree: r.last_prepared_decree,
        last_durable_decree: r.last_durable_decree,
        app_type: r.app.app_type,
        disk_tag: 'default',
      }));
  }

  /** The replicas in gpid order (each gpid parsed once: sorting thousands with `cmpGpid` costs). */
  private sorted(): [string, StoredReplica][] {
    return [...this.replicas]
      .map(([pid, r]) => ({ pid, r, k: gpidKey(pid) }))
      .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1])
      .map(({ pid, r }) => [pid, r]);
  }

  /** One app_info per app this node holds a replica of. */
  apps(): AppInfo[] {
    const m = new Map<number, AppInfo>();
    for (const r of this.replicas.values()) if (!m.has(r.app.app_id)) m.set(r.app.app_id, r.app);
    return [...m.values()].sort((a, b) => a.app_id - b.app_id);
  }
}

function gpidKey(g: string): [number, number] {
  const dot = g.indexOf('.');
  return [Number(g.slice(0, dot)), Number(g.slice(dot + 1))];
}

export function cmpGpid(a: string, b: string): number {
  const [aa, ap] = a.split('.').map(Number);
  const [ba, bp] = b.split('.').map(Number);
  return aa! - ba! || ap! - bp!;
}
