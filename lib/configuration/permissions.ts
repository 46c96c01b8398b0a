/**
 * `permissionsHash = keccak256(abi.encode(Permission[]))` of a session-permissions leaf
 * (lib/configuration/ENCODING.md). Encoded with ethers' AbiCoder: nested dynamic arrays are easy
 * to get subtly wrong by hand, and this is not a hot path.
 */
import { AbiCoder } from "ethers";
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { keccak256 } from "../keccak";

/**
 * Rule operations: 0 equal, 1 not equal, 2 at least, 3 at most (over a masked calldata word), and
 * 4 length at least, 5 length at most (over the calldata length in bytes; `cumulative` false,
 * `offset` 0 and `mask` zero, the only encoding the contract accepts).
 */
export type RuleOperation = 0 | 1 | 2 | 3 | 4 | 5;

/** The first length operation: operations at or above it bound the calldata length. */
export const LENGTH_RULE_OPERATION_MIN = 4;

/**
 * One rule over a 32-byte word of the call data, read at `offset` and masked with `mask`, or
 * (operations 4 and 5) over the call data's length, bounded by `value` read as a uint256.
 */
export interface Rule {
  operation: RuleOperation;
  cumulative: boolean;
  offset: bigint;
  mask: Hex;
  value: Hex;
}

/** The rules that apply to calls to one target. */
export interface Permission {
  target: Hex;
  rules: Rule[];
}

/** ABI type of `Permission[]`, as the contracts declare it. */
export const PERMISSIONS_ABI_TYPE =
  "tuple(address target, tuple(uint8 operation, bool cumulative, uint256 offset, bytes32 mask, bytes32 value)[] rules)[]";

function checkPermissions(permissions: unknown): Permission[] {
  if (!Array.isArray(permissions)) {
    throw new InvalidArgumentError("INVALID_ARRAY", "permissions", "expected an array of permissions");
  }
  return permissions.map((p: unknown, i): Permission => {
    const path = `permissions[${i}]`;
    if (typeof p !== "object" || p === null) throw new InvalidArgumentError("INVALID_PERMISSION", path, "expected an object");
    const { target, rules } = p as Record<string, unknown>;
    if (!Array.isArray(rules)) throw new InvalidArgumentError("INVALID_ARRAY", `${path}.rules`, "expected an array of rules");
    return {
      target: normalizeAddress(target, `${path}.target`),
      rules: rules.map((r: unknown, j): Rule => {
        const rpath = `${path}.rules[${j}]`;
        if (typeof r !== "object" || r === null) throw new InvalidArgumentError("INVALID_RULE", rpath, "expected an object");
        const rule = r as Record<string, unknown>;
        if (![0, 1, 2, 3, 4, 5].includes(rule.operation as number)) {
          throw new InvalidArgumentError("INVALID_RULE_OPERATION", `${rpath}.operation`, "expected 0, 1, 2, 3, 4 or 5", {
            details: { value: rule.operation },
          });
        }
        if (typeof rule.cumulative !== "boolean") {
          throw new InvalidArgumentError("INVALID_BOOLEAN", `${rpath}.cumulative`, "expected true or false");
        }
        const checked: Rule = {
          operation: rule.operation as RuleOperation,
          cumulative: rule.cumulative,
          offset: checkUint(rule.offset, `${rpath}.offset`),
          mask: normalizeBytes32(rule.mask, `${rpath}.mask`),
          value: normalizeBytes32(rule.value, `${rpath}.value`),
        };
        if (checked.operation >= LENGTH_RULE_OPERATION_MIN) {
          // A length rule reads no word; the contract refuses any other encoding of it.
          const stray = checked.cumulative ? "cumulative" : checked.offset !== 0n ? "offset" : BigInt(checked.mask) !== 0n ? "mask" : undefined;
          if (stray !== undefined) {
            throw new InvalidArgumentError("INVALID_LENGTH_RULE", `${rpath}.${stray}`, "a calldata-length rule has cumulative false, offset 0 and a zero mask");
          }
        }
        return checked;
      }),
    };
  });
}

/**
 * ABI encoding `abi.encode(Permission[])` of validated permissions.
 *
 * @example
 * encodePermissions([{ target, rules: [] }])
 */
export function encodePermissions(permissions: Permission[]): Hex {
  const checked = checkPermissions(permissions);
  return AbiCoder.defaultAbiCoder().encode(
    [PERMISSIONS_ABI_TYPE],
    [checked.map((p) => [p.target, p.rules.map((r) => [r.operation, r.cumulative, r.offset, r.mask, r.value])])],
  ) as Hex;
}

/**
 * `keccak256(abi.encode(Permission[]))`, the `permissionsHash` field of a session-permissions leaf.
 *
 * @example
 * permissionsHash([{ target: "0x...", rules: [{ operation: 0, cumulative: false, offset: 4n, mask, value }] }])
 */
export function permissionsHash(permissions: Permission[]): Hex {
  return bytesToHex(keccak256(hexToBytes(encodePermissions(permissions), "permissions")));
}
