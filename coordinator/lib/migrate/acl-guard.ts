import { PreconditionError } from '../../../shared/errors';
import type { AclGuard } from '../zk/copy-types';
import { isMaskedDigest } from '../zk/masked-acl';

/** What to do about digest ACLs the run's source session sees masked. */
export function maskedFix(nodes: number): string {
  return `Give the inventory's zk_sasl_* or zk_krb_* variables an identity with ADMIN on ${nodes === 1 ? 'that node' : 'these nodes'}`;
}

/**
 * The migration's check of every source ACL as the copy reads it (and as the follower reads a
 * changed one), the same two refusals the preflight makes when it reads every ACL itself
 * (`--no-precopy`, preflight.ts aclCheckOf):
 *   - a digest ACL the source session sees masked as `user:x`: copied, it would name an identity
 *     nobody has (masked-acl.ts);
 *   - a `sasl:` ACL when the new ensemble offers no SASL login: nobody could ever be granted it.
 * The pre-copy runs before anything is stopped, so a refusal there costs no freeze: the run fails
 * before its first change to the cluster and its automatic rollback removes the partial copy from
 * the target. Pegasus itself never sets an ACL (src/zookeeper/zookeeper_session.cpp creates every
 * node with ZOO_OPEN_ACL_UNSAFE), so these are ACLs somebody else set.
 */
export function migrationAclGuard(f: { target: string; targetSaslAbsent?: boolean }): AclGuard {
  return (path, acl) => {
    if (acl.some(isMaskedDigest)) {
      return new PreconditionError(`the source session sees the digest ACL of ${path} masked as "user:x" (no ADMIN on it): the copy would write a wrong ACL, so it stopped before writing that node. ${maskedFix(1)}`, {
        context: { path },
      });
    }
    if (f.targetSaslAbsent && acl.some((a) => a.scheme === 'sasl')) {
      return new PreconditionError(
        `${path} has a sasl: ACL, which the new ensemble ${f.target} cannot honour (it offers no SASL login): after the copy no client could be granted it, so the copy stopped before writing that node. Configure SASL on the new ensemble first`,
        { context: { path } },
      );
    }
    return undefined;
  };
}
