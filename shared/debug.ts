/**
 * Debug lines for `zkmig -v`: one process-wide sink, off unless the CLI turns it on. Libraries call
 * `debug(scope, message)` at the points an operator needs when something is slow or odd (every agent
 * RPC with its outcome and duration, every Pegasus shell run); nothing is formatted while it is off.
 */
export type DebugSink = (line: string) => void;

let sink: DebugSink | undefined;

/** Turn debug lines on (a sink) or off (undefined). */
export function setDebugSink(s: DebugSink | undefined): void {
  sink = s;
}

export function debugEnabled(): boolean {
  return sink !== undefined;
}

/** `message` is a thunk so that a disabled debug costs one comparison. */
export function debug(scope: string, message: () => string): void {
  if (sink) sink(`${new Date().toISOString()} debug ${scope}: ${message()}\n`);
}
