import type { zk } from '../../../shared/zk/client';
import { manager } from '../../../shared/zk/client-internals';
import { RawRequest, Reply, strLen } from '../../../shared/zk/jute';

/**
 * `addWatch` (ZooKeeper 3.6+, OpCode 106): a watch that stays armed after it fires. node-zookeeper-
 * client 1.1.x has no such call, so the request is encoded here and queued on its ConnectionManager
 * like the engine's other hand-made requests (wire.ts); the notifications are taken from the
 * client's notification path with `onNotification` (shared/zk/client-internals.ts).
 *
 * What the server sends for a PERSISTENT_RECURSIVE watch on P (ZooKeeper 3.8, WatchManager and
 * DataTree): NodeCreated, NodeDeleted and NodeDataChanged for P and every node below it, never
 * NodeChildrenChanged; and nothing for setACL (DataTree.setACL triggers no watch).
 *
 * The watch lives on the server's connection object, not in the session: when the connection drops,
 * the server forgets it, and node-zookeeper-client's reconnect (SetWatches) re-registers only its
 * own one-shot watches. Even the Java client, which does re-register persistent watches on
 * reconnect (SetWatches2), gets no replay of what changed while it was away for them (DataTree.
 * setWatches fires catch-up events for data, exist and child watches only). So a disconnection of
 * the watching session is a gap in the change stream, whatever happens next.
 */

export const ADD_WATCH = 106;
export const WATCH_MODE = { PERSISTENT: 0, PERSISTENT_RECURSIVE: 1 } as const;

/** Event types in a notification. */
export const EVENT = { CREATED: 1, DELETED: 2, DATA_CHANGED: 3, CHILDREN_CHANGED: 4 } as const;

/**
 * Arm a watch on `path`. Only with fast replies installed (the client cannot parse the empty
 * reply); `cb(null, false)` when the request cannot be sent. An older server answers with an error
 * (UNIMPLEMENTED) or drops the connection: either way `cb` gets an error.
 */
export function addWatch(client: zk.Client, path: string, mode: number, cb: Reply<boolean>): void {
  const cm = manager(client);
  if (!cm?.zkmigFastReplies) return cb(null, false);
  cm.queue(
    new RawRequest(
      ADD_WATCH,
      strLen(path) + 4,
      (e) => {
        e.str(path);
        e.int(mode);
      },
      () => null,
    ),
    (err) => (err ? cb(err, undefined) : cb(null, true)),
  );
}
