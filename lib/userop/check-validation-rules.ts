import { getAddress, getBytes, toBeHex, zeroPadValue, type JsonRpcApiProvider } from "ethers";
import { normalizeAddress, type Hex } from "../hex";
import { entryPointInterface, ENTRY_POINT_V08 } from "./entry-point";
import { toTuple } from "./bundler";
import type { PackedUserOperation } from "./types";

/** One breach of the ERC-7562 validation rules found in a traced validation phase. */
export interface ValidationRuleViolation {
  /** ERC-7562 rule id: OP-011 banned opcode, OP-012 GAS not before a call, OP-031 CREATE outside the factory, OP-041 code access to an address without code, STO-021 unassociated storage. */
  rule: "OP-011" | "OP-012" | "OP-031" | "OP-041" | "STO-021";
  /** Whose validation code did it. */
  entity: "account" | "factory" | "paymaster";
  /** The contract whose code ran the opcode. */
  address: Hex;
  opcode: string;
  /** For storage rules: the contract whose storage was touched and the slot. */
  storage?: { address: Hex; slot: Hex };
}

/** Opcodes ERC-7562 OP-011 bans in validation: their results differ between simulation and inclusion. */
export const BANNED_VALIDATION_OPCODES = new Set([
  "GASPRICE", "GASLIMIT", "DIFFICULTY", "PREVRANDAO", "TIMESTAMP", "BASEFEE", "BLOCKHASH", "NUMBER",
  "SELFBALANCE", "BALANCE", "ORIGIN", "COINBASE", "SELFDESTRUCT", "BLOBHASH", "BLOBBASEFEE",
]);
const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const CODE_ACCESS = new Set(["EXTCODESIZE", "EXTCODECOPY", "EXTCODEHASH"]);

interface StructLog {
  op: string;
  depth: number;
  stack?: string[];
}
interface Frame {
  /** Memory as far as MSTORE/MSTORE8 wrote it (byte offset -> byte), to read KECCAK256 preimages. */
  memory: Map<number, number>;
  /** Whose code runs. */
  code: Hex;
  /** Whose storage SLOAD/SSTORE touch (the caller's under DELEGATECALL/CALLCODE). */
  storage: Hex;
  entity: ValidationRuleViolation["entity"] | undefined;
}

/** Struct-logger stack items come with or without 0x depending on the node. */
const big = (value: string) => BigInt(value.startsWith("0x") ? value : `0x${value}`);
const word = (value: string) => zeroPadValue(toBeHex(big(value)), 32);
const addressOf = (value: string) => getAddress(`0x${big(value).toString(16).padStart(40, "0").slice(-40)}`) as Hex;

/**
 * Traces `handleOps([op])` with `debug_traceCall` (struct logger, stack only) and checks the
 * validation phase against the ERC-7562 rules a public bundler enforces for unstaked entities:
 * no banned opcode (OP-011), GAS only right before a call (OP-012), CREATE/CREATE2 only in the
 * factory (OP-031), no EXTCODE* on an address without code (OP-041), and storage of contracts
 * other than the sender touched only at slots associated with the sender (STO-021: the slot is
 * the sender's address, or `keccak256(sender ‖ x) + n` with n ≤ 128).
 *
 * The validation phase is every frame the EntryPoint opens before its first `innerHandleOp`
 * self-call (the account's `validateUserOp`, the factory via SenderCreator, the paymaster's
 * `validatePaymasterUserOp`); the EntryPoint's own code is trusted and not checked. Returns the
 * violations, empty when the operation keeps to the rules. Not checked: staked-entity
 * allowances and reputation, calls with value to anything but the EntryPoint (OP-061), calls to
 * EntryPoint methods other than `depositTo` (OP-052/054), out-of-gas reverts (OP-020), the 7702
 * and aggregator rules.
 *
 * @example
 * expect(await checkValidationRules(provider, op, beneficiary)).to.deep.equal([]);
 */
export async function checkValidationRules(
  provider: JsonRpcApiProvider,
  op: PackedUserOperation,
  beneficiary: Hex | string,
  entryPoint: Hex = ENTRY_POINT_V08.address,
): Promise<ValidationRuleViolation[]> {
  const sender = normalizeAddress(op.sender, "sender");
  const ep = normalizeAddress(entryPoint, "entryPoint");
  const senderCreator = addressOf(await provider.call({ to: ep, data: entryPointInterface.encodeFunctionData("senderCreator") }));
  const paymaster = op.paymasterAndData.length >= 42 ? getAddress(op.paymasterAndData.slice(0, 42)) : undefined;
  const data = entryPointInterface.encodeFunctionData("handleOps", [[toTuple(op)], beneficiary]);
  const trace = (await provider.send("debug_traceCall", [{ from: beneficiary, to: ep, data }, "latest", { disableStorage: true, disableMemory: true, disableStack: false }])) as { structLogs: StructLog[] };
  const logs = trace.structLogs;
  if (logs.length === 0) return [];

  const violations: ValidationRuleViolation[] = [];
  const associated = new Set<string>([word(sender)]);
  const codeChecks: { address: Hex; frame: Frame; opcode: string }[] = [];
  const base = logs[0].depth;
  const frames: Frame[] = [{ memory: new Map(), code: ep, storage: ep, entity: undefined }];
  let pending: Frame | undefined;
  let pendingKeccak: { preimage: string } | undefined;

  for (let i = 0; i < logs.length; i++) {
    const log = logs[i];
    const depth = log.depth - base;
    if (pending && depth === frames.length) frames.push(pending);
    pending = undefined;
    while (frames.length > depth + 1) frames.pop();
    const frame = frames[frames.length - 1];
    const stack = log.stack ?? [];
    const top = (n: number) => stack[stack.length - 1 - n];

    if (pendingKeccak) {
      // The KECCAK256 result is on top of the stack at the next step of the same frame.
      if (pendingKeccak.preimage.length >= 66 && pendingKeccak.preimage.slice(0, 66) === word(sender).toLowerCase()) {
        const hash = big(top(0));
        for (let n = 0n; n <= 128n; n++) associated.add(word(toBeHex(hash + n)));
      }
      pendingKeccak = undefined;
    }

    if ((log.op === "CREATE" || log.op === "CREATE2") && frame.entity === "factory") {
      // The constructor of the contract the factory creates (the sender, for a well-behaved
      // factory) runs with the new contract's storage, which is the sender's own.
      pending = { memory: new Map(), code: sender, storage: sender, entity: "factory" };
    }
    if (CALLS.has(log.op)) {
      const target = addressOf(top(1));
      const delegate = log.op === "DELEGATECALL" || log.op === "CALLCODE";
      let entity = frame.entity;
      if (frames.length === 1) {
        // A call from the EntryPoint itself: the self-call innerHandleOp starts the execution phase.
        if (target === ep) break;
        entity = target === sender ? "account" : target === senderCreator ? "factory" : target === paymaster ? "paymaster" : undefined;
      }
      pending = { memory: new Map(), code: target, storage: delegate ? frame.storage : target, entity };
      continue;
    }
    if (frame.entity === undefined) continue;
    const entity = frame.entity;
    if (log.op === "MSTORE") {
      const offset = Number(big(top(0)));
      const bytes = getBytes(word(top(1)));
      for (let b = 0; b < 32; b++) frame.memory.set(offset + b, bytes[b]);
    } else if (log.op === "MSTORE8") {
      frame.memory.set(Number(big(top(0))), Number(big(top(1)) & 0xffn));
    } else if (log.op === "KECCAK256" || log.op === "SHA3") {
      pendingKeccak = { preimage: readShadowMemory(frame.memory, Number(big(top(0))), Number(big(top(1)))) };
    } else if (BANNED_VALIDATION_OPCODES.has(log.op)) {
      violations.push({ rule: "OP-011", entity, address: frame.code, opcode: log.op });
    } else if (log.op === "GAS" && !CALLS.has(logs[i + 1]?.op ?? "")) {
      violations.push({ rule: "OP-012", entity, address: frame.code, opcode: log.op });
    } else if ((log.op === "CREATE" || log.op === "CREATE2") && entity !== "factory") {
      violations.push({ rule: "OP-031", entity, address: frame.code, opcode: log.op });
    } else if (CODE_ACCESS.has(log.op)) {
      codeChecks.push({ address: addressOf(top(0)), frame, opcode: log.op });
    } else if (log.op === "SLOAD" || log.op === "SSTORE") {
      const slot = word(top(0));
      if (frame.storage !== sender && !associated.has(slot)) {
        violations.push({ rule: "STO-021", entity, address: frame.code, opcode: log.op, storage: { address: frame.storage, slot: slot as Hex } });
      }
    }
  }
  for (const check of codeChecks) {
    if (check.address !== sender && (await provider.getCode(check.address)) === "0x") {
      violations.push({ rule: "OP-041", entity: check.frame.entity!, address: check.frame.code, opcode: check.opcode });
    }
  }
  return violations;
}

/**
 * `size` bytes of a frame's memory from `offset` as far as MSTORE/MSTORE8 wrote them, or "" if a
 * byte was written by anything else (a copy opcode): then the preimage is unknown and the slot it
 * hashes to counts as not associated, which can only over-report. Solidity computes mapping and
 * array slots from MSTOREs, so its associated slots are always recognised.
 */
function readShadowMemory(memory: Map<number, number>, offset: number, size: number): string {
  if (size > 4096) return "";
  let out = "0x";
  for (let b = offset; b < offset + size; b++) {
    const byte = memory.get(b);
    if (byte === undefined) return "";
    out += byte.toString(16).padStart(2, "0");
  }
  return out;
}
