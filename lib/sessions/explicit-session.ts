/**
 * An explicit session: a session key, its chain, native value limit, deadline and permissions,
 * and the `session-permissions` leaf that puts them in a wallet's configuration.
 */
import { InvalidArgumentError } from "../errors";
import { checkUint, normalizeAddress, type Hex } from "../hex";
import type { SessionPermissionsLeaf } from "../configuration/leaves";
import { encodePermissions, permissionsHash, type Permission } from "../configuration/permissions";
import { anyCall, type NativeValueGrant } from "./permission-builders";

/** What an explicit session is made of. */
export interface ExplicitSessionOptions {
  /** The session key's address. */
  sessionSigner: string;
  /** The chain the session works on; 0 means every chain. */
  chainId: bigint;
  /** Unix seconds; the session works while `block.timestamp < deadline`. */
  deadline: bigint;
  /** Permissions (see the builders) and at most one {@link NativeValueGrant}. */
  grants: readonly (Permission | NativeValueGrant)[];
}

/** A built explicit session: the leaf for the configuration and what a signature must carry. */
export interface ExplicitSession {
  leaf: SessionPermissionsLeaf;
  permissions: Permission[];
  /** `abi.encode(Permission[])`, the bytes the session signature carries for this leaf. */
  encodedPermissions: Hex;
}

/**
 * The `session-permissions` leaf for these fields and permissions.
 *
 * @example
 * const leaf = sessionPermissionsLeaf({ sessionSigner, chainId: 1n, valueLimit: 0n, deadline, permissions });
 * const configuration = owners.addLeaf(leaf).bumpCheckpoint();
 */
export function sessionPermissionsLeaf(options: {
  sessionSigner: string;
  chainId: bigint;
  valueLimit: bigint;
  deadline: bigint;
  permissions: Permission[];
}): SessionPermissionsLeaf {
  return {
    kind: "session-permissions",
    sessionSigner: normalizeAddress(options.sessionSigner, "sessionSigner"),
    chainId: checkUint(options.chainId, "chainId"),
    valueLimit: checkUint(options.valueLimit, "valueLimit"),
    deadline: checkUint(options.deadline, "deadline"),
    permissionsHash: permissionsHash(options.permissions),
  };
}

/**
 * Builds an explicit session from grants that read like the intent.
 *
 * @example
 * const session = explicitSession({
 *   sessionSigner: sessionKey.address,
 *   chainId: 1n,
 *   deadline: BigInt(Math.floor(Date.now() / 1000) + 86_400),
 *   grants: [erc20TransferUpTo(usdc, 100_000_000n), atMostOnce(airdrop, "claim()")],
 * });
 * const next = configuration.addLeaf(session.leaf).bumpCheckpoint();
 */
export function explicitSession(options: ExplicitSessionOptions): ExplicitSession {
  if (typeof options !== "object" || options === null || !Array.isArray(options.grants)) {
    throw new InvalidArgumentError("INVALID_SESSION", "grants", "expected {sessionSigner, chainId, deadline, grants[]}");
  }
  const permissions: Permission[] = [];
  let valueLimit = 0n;
  let valueGrant = -1;
  options.grants.forEach((grant, i) => {
    if ((grant as NativeValueGrant).kind === "native-value") {
      const native = grant as NativeValueGrant;
      if (valueGrant >= 0) {
        throw new InvalidArgumentError("DUPLICATE_VALUE_GRANT", `grants[${i}]`, `a session has one value limit; grants[${valueGrant}] already sets it`);
      }
      valueGrant = i;
      valueLimit = checkUint(native.amount, `grants[${i}].amount`);
      if (native.to !== undefined) permissions.push(anyCall(native.to));
    } else {
      permissions.push(grant as Permission);
    }
  });
  const leaf = sessionPermissionsLeaf({
    sessionSigner: options.sessionSigner,
    chainId: options.chainId,
    valueLimit,
    deadline: options.deadline,
    permissions,
  });
  return { leaf, permissions, encodedPermissions: encodePermissions(permissions) };
}
