/**
 * Generates the frozen permission vectors in test/sessions/permission-vectors.json: what each
 * permission builder produces (rules, the canonical `abi.encode(Permission[])`, its hash), a call
 * it accepts and a too-short call it refuses with `SessionCalldataLengthFailed`. Run it once when
 * the rule encoding or a builder changes on purpose:
 *
 *     npx ts-node --transpile-only lib/sessions/permission-vectors.ts > test/sessions/permission-vectors.json
 *
 * test/sessions/permission-builders.test.ts recomputes every vector; test/sessions/calldata-length.test.ts
 * runs each accepted and refused call through checkSessionCalls and the contract.
 */
import { encodePermissions, permissionsHash, type Permission } from "../configuration/permissions";
import { atMostTimes, calldataLengthAtLeast, calldataLengthAtMost, erc20ApproveUpTo, erc20TransferUpTo, onlyFunction } from "./permission-builders";

/** The target of every vector: an address without code, so any call to it succeeds. */
export const PERMISSION_VECTOR_TARGET = "0x000000000000000000000000000000000000bEEF";
const SPENDER = "0x00000000000000000000000000000000000C0DE5";

export interface PermissionVector {
  name: string;
  permission: { target: string; rules: { operation: number; cumulative: boolean; offset: string; mask: string; value: string }[] };
  encoded: string;
  permissionsHash: string;
  accepted: string;
  refused: { data: string; ruleIndex: number; length: number; bound: number };
}

const word = (value: bigint) => value.toString(16).padStart(64, "0");
const transfer = (amount: bigint) => `0xa9059cbb${word(0xbeefn)}${word(amount)}`;
const approve = (amount: bigint) => `0x095ea7b3${word(BigInt(SPENDER))}${word(amount)}`;

function vector(name: string, permission: Permission, accepted: string, refused: PermissionVector["refused"]): PermissionVector {
  return {
    name,
    permission: {
      target: permission.target,
      rules: permission.rules.map((r) => ({ operation: r.operation, cumulative: r.cumulative, offset: r.offset.toString(10), mask: r.mask, value: r.value })),
    },
    encoded: encodePermissions([permission]),
    permissionsHash: permissionsHash([permission]),
    accepted,
    refused,
  };
}

/** Every vector, computed from fixed inputs. */
export function permissionVectors(): PermissionVector[] {
  const t = PERMISSION_VECTOR_TARGET;
  return [
    vector("onlyFunction, a selector ending in 0x00, its 3-byte prefix", onlyFunction(t, "0x12345600"), "0x12345600", { data: "0x123456", ruleIndex: 1, length: 3, bound: 4 }),
    vector("onlyFunction, selector 0x00000000, empty calldata", onlyFunction(t, "0x00000000"), "0x00000000", { data: "0x", ruleIndex: 1, length: 0, bound: 4 }),
    vector("atMostTimes, a selector ending in 0x00", atMostTimes(t, "0x0badf000", 2n), "0x0badf000", { data: "0x0badf0", ruleIndex: 2, length: 3, bound: 4 }),
    vector("erc20TransferUpTo, the amount word left out", erc20TransferUpTo(t, 100n), transfer(40n), { data: transfer(40n).slice(0, 2 + 36 * 2), ruleIndex: 2, length: 36, bound: 68 }),
    vector("erc20TransferUpTo to one recipient, one byte short", erc20TransferUpTo(t, 100n, { to: "0x000000000000000000000000000000000000bEEF" }), transfer(1n), { data: transfer(1n).slice(0, -2), ruleIndex: 3, length: 67, bound: 68 }),
    vector("erc20ApproveUpTo, the amount word left out", erc20ApproveUpTo(t, SPENDER, 50n), approve(50n), { data: approve(50n).slice(0, 2 + 36 * 2), ruleIndex: 3, length: 36, bound: 68 }),
    vector("calldataLengthAtMost(0): value only", { target: t as `0x${string}`, rules: [calldataLengthAtMost(0n)] }, "0x", { data: "0x00", ruleIndex: 0, length: 1, bound: 0 }),
    vector("calldataLengthAtLeast(5)", { target: t as `0x${string}`, rules: [calldataLengthAtLeast(5n)] }, "0x0000000000", { data: "0x00000000", ruleIndex: 0, length: 4, bound: 5 }),
  ];
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify({ format: "arbor-permission-vectors-v1", vectors: permissionVectors() }, null, 2)}\n`);
}
