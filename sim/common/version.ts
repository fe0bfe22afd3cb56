import { timestamp } from './log';

/** What the simulated servers claim to be (v2.5.0 release, commit of the tag). */
export const PEGASUS_VERSION = '2.5.0';
export const PEGASUS_GIT_COMMIT = '0ca31b70eac7321bb17fb034105695597245d47b';
export const MASTER_VERSION = '2.6.0-SNAPSHOT';
export const MASTER_GIT_COMMIT = 'db756dcdf24e2af6169659a67548501ed61f106c';

export type OutputFormat = 'v2.5.0' | 'master';

/** `server-info` remote command: v2.5.0 text, or master's JSON message. */
export function serverInfo(startMs: number, format: OutputFormat): string {
  const started = timestamp(startMs).slice(0, 19);
  if (format === 'master') {
    return JSON.stringify({ build_type: 'Release', git_SHA: MASTER_GIT_COMMIT, start_time: started, version: MASTER_VERSION });
  }
  return `Pegasus Server ${PEGASUS_VERSION} (${PEGASUS_GIT_COMMIT}) Release, Started at ${started}`;
}
