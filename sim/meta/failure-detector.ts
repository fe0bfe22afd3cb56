import { compareRpcAddress } from '../common/address';
import { FdTiming } from '../common/config';

/**
 * The meta side of Pegasus's failure detector (failure_detector.cpp master role +
 * meta_service::set_node_state). Replica servers beacon the leader every
 * `fd_beacon_interval_seconds`; every `fd_check_interval_seconds` a worker whose last beacon is older
 * than `fd_grace_seconds` becomes dead. The alive and dead sets are what `nodes` lists: nodes are
 * never stored in ZooKeeper, so a new leader starts from the beacons it receives plus the nodes named
 * in the partition configs it loaded (registered as alive, with a fresh grace period).
 */
export class MasterFailureDetector {
  private readonly lastBeacon = new Map<string, number>();
  readonly alive = new Set<string>();
  readonly dead = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timing: FdTiming,
    private readonly onChange: (node: string, alive: boolean) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), Math.max(1, this.timing.checkIntervalSeconds) * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** A beacon from `node` reached the leader. */
  beacon(node: string): void {
    this.lastBeacon.set(node, Date.now());
    if (!this.alive.has(node)) this.setAlive(node, true);
  }

  /** `register_worker(node, true)` at start_service: alive until its grace runs out without a beacon. */
  registerAlive(node: string): void {
    if (this.dead.has(node) || this.alive.has(node)) return;
    this.lastBeacon.set(node, Date.now());
    this.alive.add(node);
  }

  isAlive(node: string): boolean {
    return this.alive.has(node);
  }

  aliveNodes(): string[] {
    return [...this.alive].sort(compareRpcAddress);
  }

  private setAlive(node: string, alive: boolean): void {
    if (alive) {
      this.alive.add(node);
      this.dead.delete(node);
    } else {
      this.alive.delete(node);
      this.dead.add(node);
    }
    this.onChange(node, alive);
  }

  private check(): void {
    const now = Date.now();
    for (const node of [...this.alive]) {
      if (now - (this.lastBeacon.get(node) ?? 0) > this.timing.graceSeconds * 1000) this.setAlive(node, false);
    }
  }
}
