/**
 * Every error zkmig throws on purpose. One class per family, a stable `name`, a `code` from a closed
 * union, typed context and `cause`. Callers branch on `code` or the `isXxx()` guards, never on text.
 */

export type ErrorCode =
  | 'USAGE' // bad flags or arguments
  | 'INVALID_INPUT' // bad file content: inventory, config.ini, agent config, endpoint
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PRECONDITION' // state is not what the operation requires
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE' // a peer did not answer
  | 'TIMEOUT'
  | 'ZK' // a ZooKeeper error that is none of the above
  | 'VERIFY_FAILED'
  | 'ILLEGAL_STATE'
  | 'CANCELLED' // the operator interrupted (SIGINT/SIGTERM); what was done so far is journaled
  | 'INTERNAL';

export interface AppErrorOptions {
  cause?: unknown;
  /** Free-form context that helps an operator, e.g. `{ path: '/pegasus/c1/apps' }`. */
  context?: Record<string, unknown>;
}

/** Base class: thrown directly only for errors that fit no subclass. */
export class AppError extends Error {
  override readonly name: string = 'AppError';
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.context = opts.context ?? {};
  }
}

/** Thrown by command parsing and option validation when the user asked for something malformed. */
export class UsageError extends AppError {
  override readonly name = 'UsageError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('USAGE', message, opts);
  }
}

/** Thrown by parsers (inventory, config.ini, agent config, endpoints, shell output) on input they do not accept. */
export class InvalidInputError extends AppError {
  override readonly name = 'InvalidInputError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('INVALID_INPUT', message, opts);
  }
}

/** Thrown when an operation's precondition does not hold (non-empty target, hash mismatch, unhealthy cluster). */
export class PreconditionError extends AppError {
  override readonly name = 'PreconditionError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('PRECONDITION', message, opts);
  }
}

/** Thrown by ZooKeeper helpers; `zkCode` is the client's numeric error code when there is one. */
export class ZkError extends AppError {
  override readonly name = 'ZkError';
  readonly zkCode: number | undefined;
  readonly path: string | undefined;
  constructor(message: string, opts: AppErrorOptions & { zkCode?: number; path?: string } = {}) {
    super(opts.zkCode === -4 || opts.zkCode === -7 ? 'UNAVAILABLE' : 'ZK', message, opts);
    this.zkCode = opts.zkCode;
    this.path = opts.path;
  }
}

/**
 * Thrown when a meta the run stopped runs again within the stays-stopped window: something other
 * than the agent (supervisord, runit, a shell loop) restarted it. A precondition failure (the
 * operator must change how the meta is run), with the host and the service in `context`.
 */
export class RestartedBySupervisorError extends AppError {
  override readonly name = 'RestartedBySupervisorError';
  constructor(
    readonly host: string,
    readonly service: string,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super('PRECONDITION', message, { ...opts, context: { host, service, ...opts.context } });
  }
}

/** Thrown when a peer (ZooKeeper, agent, shell) does not answer within its deadline. */
export class TimeoutError extends AppError {
  override readonly name = 'TimeoutError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('TIMEOUT', message, opts);
  }
}

/** Thrown by verification passes when two trees or two states that must match do not. */
export class VerifyError extends AppError {
  override readonly name = 'VerifyError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('VERIFY_FAILED', message, opts);
  }
}

/** Thrown by state machines (agent lifecycle, migration run) on a transition that is not allowed from the current state. */
export class IllegalStateError extends AppError {
  override readonly name = 'IllegalStateError';
  constructor(
    readonly state: string,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super('ILLEGAL_STATE', `${message} (current state: ${state})`, opts);
  }
}

/**
 * Thrown by the Pegasus shell driver when the shell printed a failure. The shell exits 0 whatever
 * happens (docs/pegasus-internals.md §4.1), so failures are read from its text: `command` is the shell command that
 * was sent (`cluster_info`), `errorCode` the Pegasus code it printed (`ERR_TIMEOUT`), or
 * `SHELL_USAGE` / `SHELL_UNKNOWN_COMMAND` when the shell rejected the command line itself.
 */
export class ShellCommandError extends AppError {
  override readonly name = 'ShellCommandError';
  constructor(
    readonly command: string,
    readonly errorCode: string,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super(shellErrorCode(errorCode), message, opts);
  }
}

/** The AppError code for a Pegasus `ERR_*` code printed by the shell (docs/pegasus-internals.md §4.3-4.9). */
function shellErrorCode(errorCode: string): ErrorCode {
  switch (errorCode) {
    case 'ERR_TIMEOUT':
    case 'ERR_NETWORK_FAILURE':
    case 'ERR_FORWARD_TO_OTHERS':
      return 'UNAVAILABLE';
    case 'ERR_UNDER_RECOVERY':
    case 'ERR_SERVICE_NOT_ACTIVE':
    case 'ERR_SERVICE_ALREADY_RUNNING':
    case 'ERR_STATE_FREEZED':
    case 'ERR_TRY_AGAIN':
    case 'ERR_INVALID_STATE':
      return 'PRECONDITION';
    case 'ERR_ACL_DENY':
      return 'PERMISSION_DENIED';
    case 'ERR_OBJECT_NOT_FOUND':
    case 'ERR_APP_NOT_EXIST':
      return 'NOT_FOUND';
    case 'ERR_INVALID_PARAMETERS':
    case 'SHELL_USAGE':
    case 'SHELL_UNKNOWN_COMMAND':
      return 'USAGE';
    default:
      return 'INTERNAL';
  }
}

/** Thrown by the agent when a managed file, backup or unit does not exist on the host. */
export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('NOT_FOUND', message, opts);
  }
}

/** Thrown by the agent when a request names a path or service outside its allowlist (`..`, symlink escapes included). */
export class PermissionDeniedError extends AppError {
  override readonly name = 'PermissionDeniedError';
  constructor(message: string, opts: AppErrorOptions = {}) {
    super('PERMISSION_DENIED', message, opts);
  }
}

/** Thrown by the agent's exec when a host command (systemctl, a configured stop/status argv) fails; carries what the command returned. */
export class ExecError extends AppError {
  override readonly name = 'ExecError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super('INTERNAL', message, opts);
  }
}

/**
 * Thrown by the coordinator's agent client when an RPC fails: `grpcCode` is the status the agent
 * (or the transport) returned, `code` its zkmig meaning (PERMISSION_DENIED, PRECONDITION, ...), so
 * `isPrecondition(err)` works across the wire. `agentCode` is the agent's own error code when it sent one.
 */
export class AgentRpcError extends AppError {
  override readonly name = 'AgentRpcError';
  constructor(
    readonly agent: string,
    readonly method: string,
    readonly grpcCode: number,
    code: ErrorCode,
    message: string,
    readonly agentCode: string | undefined = undefined,
    opts: AppErrorOptions = {},
  ) {
    super(code, message, opts);
  }
}

/** Thrown by the coordinator's agent client when a service did not reach the requested state (early crash, failed start); `result` is the agent's full answer. */
export class ServiceFailedError extends AppError {
  override readonly name = 'ServiceFailedError';
  constructor(
    readonly service: string,
    readonly result: unknown,
    message: string,
    opts: AppErrorOptions = {},
  ) {
    super('VERIFY_FAILED', message, opts);
  }
}

/** Normalise anything caught into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error) return new AppError('INTERNAL', err.message, { cause: err });
  return new AppError('INTERNAL', String(err));
}

/** The first error in `err`'s `cause` chain (itself included, at most 16 deep) that `pred` accepts. */
export function findCause<T>(err: unknown, pred: (e: unknown) => e is T): T | undefined;
export function findCause(err: unknown, pred: (e: unknown) => boolean): unknown;
export function findCause(err: unknown, pred: (e: unknown) => boolean): unknown {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 16; depth++) {
    if (pred(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function walk(err: unknown, pred: (e: unknown) => boolean): boolean {
  return findCause(err, pred) !== undefined;
}

/** True when `err` or any error in its `cause` chain carries `code`. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return walk(err, (e) => e instanceof AppError && e.code === code);
}

export const isUsageError = (err: unknown): boolean => hasCode(err, 'USAGE');
export const isInvalidInput = (err: unknown): boolean => hasCode(err, 'INVALID_INPUT');
export const isPrecondition = (err: unknown): boolean => hasCode(err, 'PRECONDITION');
export const isTimeout = (err: unknown): boolean => hasCode(err, 'TIMEOUT');
export const isUnavailable = (err: unknown): boolean => hasCode(err, 'UNAVAILABLE');
export const isZkError = (err: unknown): boolean => walk(err, (e) => e instanceof ZkError);
export const isShellCommandError = (err: unknown): boolean => walk(err, (e) => e instanceof ShellCommandError);
export const isNotFound = (err: unknown): boolean => hasCode(err, 'NOT_FOUND');
export const isPermissionDenied = (err: unknown): boolean => hasCode(err, 'PERMISSION_DENIED');
