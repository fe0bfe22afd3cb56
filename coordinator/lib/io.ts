/**
 * Where a command writes. Injected so tests can capture output and so nothing deep in the library
 * reads `process.env` or writes to the terminal directly.
 */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal: progress bars and spinners only then. */
  isTTY: boolean;
  /** Columns of the terminal stdout writes to; absent when it is not one (tables are never wrapped then, table.ts). */
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** Ask a yes/no question on the terminal; resolves false when there is no terminal. */
  confirm: (question: string) => Promise<boolean>;
  /** True when stdin is a terminal someone can type into (absent: false). */
  interactive?: boolean;
  /** Read one typed answer on the terminal; undefined when there is none (absent: never asked). */
  ask?: (question: string) => Promise<string | undefined>;
  /** Set by a command to report a non-error outcome such as "trees differ" (EXIT.FINDINGS). */
  exitCode?: number;
}

export function processIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY),
    ask: async (question) => {
      if (!process.stdin.isTTY) return undefined;
      const rl = (await import('node:readline')).createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await new Promise<string>((r) => rl.question(`${question} `, r));
      } finally {
        rl.close();
      }
    },
    confirm: async (question) => {
      if (!process.stdin.isTTY) return false;
      const rl = (await import('node:readline')).createInterface({ input: process.stdin, output: process.stderr });
      try {
        // Exact "y" or "yes" only: a destructive step must not proceed on a stray key.
        const answer = await new Promise<string>((r) => rl.question(`${question} [y/N] `, r));
        return /^(y|yes)$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}

/**
 * The one terminal status line (progress bars, "waiting for ..." lines): redrawn in place on
 * stderr with a carriage return and an erase-line, cut to the terminal's width so it never wraps
 * (a wrapped line cannot be erased), and erased before anything else is printed. Draws nothing
 * when disabled (stderr is not a terminal, or --json).
 */
export class StatusLine {
  private drawn = false;

  constructor(
    private readonly write: (s: string) => void,
    readonly enabled: boolean,
    /** Terminal columns. @default process.stderr.columns, else 160 */
    private readonly width: number = process.stderr.columns || 160,
  ) {}

  draw(text: string): void {
    if (!this.enabled) return;
    const max = Math.max(20, this.width - 1);
    this.write(`\r\x1b[K${text.length > max ? text.slice(0, max - 3) + '...' : text}`);
    this.drawn = true;
  }

  /** Erase the line before printing anything else. */
  clear(): void {
    if (this.enabled && this.drawn) this.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Exit codes shared by every command. */
export const EXIT = {
  OK: 0,
  /** The answer is "no": trees differ, cluster unhealthy, audit found something. */
  FINDINGS: 1,
  /** zkmig could not do what was asked (bad usage, unreachable peer, failed step). */
  ERROR: 2,
} as const;
