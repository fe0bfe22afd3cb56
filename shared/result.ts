/**
 * The result shape of every agent operation (after Ansible's module results):
 * `changed` is derived by comparing before and after, never set by hand, and a second identical
 * call must return `changed: false`.
 */
import { unifiedDiff } from './diff';

export interface Diff {
  beforeHeader: string;
  afterHeader: string;
  /** Full text (a file) or a short state summary (a service). */
  before: string;
  after: string;
  /** `diff -u` of before and after; empty when they are equal. */
  unified: string;
}

export interface OpResult {
  /** Derived: before !== after (for a service, the observed state moved, or an action always acts). */
  changed: boolean;
  diff?: Diff;
  /** One line for a human: what happened or would happen. */
  msg: string;
  /** Things worth knowing that did not stop the operation. */
  warnings: string[];
}

/** A Diff of two texts with `diff -u` headers. */
export function makeDiff(before: string, after: string, beforeHeader: string, afterHeader: string): Diff {
  return { beforeHeader, afterHeader, before, after, unified: unifiedDiff(before, after, { fromFile: beforeHeader, toFile: afterHeader }) };
}

/** Wire form of a Diff (snake_case, as the proto declares it). */
export function diffToWire(d: Diff | undefined): { before_header: string; after_header: string; before: string; after: string; unified: string } | null {
  if (!d) return null;
  return { before_header: d.beforeHeader, after_header: d.afterHeader, before: d.before, after: d.after, unified: d.unified };
}
