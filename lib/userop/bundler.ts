import { AbiCoder, type Provider, type Signer, type TransactionReceipt } from "ethers";
import { InvalidArgumentError } from "../errors";
import { normalizeAddress, type Hex } from "../hex";
import { ENTRY_POINT_V08, entryPointInterface } from "./entry-point";
import { revertData } from "../revert-data";
import { UserOperationFailedError } from "./errors";
import { packUserOperation } from "./pack-user-operation";
import type { PackedUserOperation, UserOperation } from "./types";
import { userOperationHash } from "./user-operation-hash";

/** A user operation before gas, fees, nonce and signature are filled in; any given field is kept. */
export type UserOperationDraft = Omit<UserOperation, "nonce" | "callGasLimit" | "verificationGasLimit" | "preVerificationGas" | "maxFeePerGas" | "maxPriorityFeePerGas" | "signature"> &
  Partial<Pick<UserOperation, "nonce" | "callGasLimit" | "verificationGasLimit" | "preVerificationGas" | "maxFeePerGas" | "maxPriorityFeePerGas">>;

/** Signs a user operation hash for the account; returns the account's `signature` field. */
export type UserOperationSigner = (userOpHash: Hex, op: PackedUserOperation) => Promise<Hex>;

/** What one submitted user operation did, read from the EntryPoint's `UserOperationEvent`. */
export interface UserOperationResult {
  userOpHash: Hex;
  /** Whether the account's call succeeded (validation always did, or handleOps would have reverted). */
  success: boolean;
  actualGasCost: bigint;
  actualGasUsed: bigint;
  receipt: TransactionReceipt;
}

/**
 * Verification gas when the caller gives none. Unused verification gas is not penalised by
 * EntryPoint v0.8 (only unused call and postOp gas are), so a generous limit costs the account
 * nothing beyond a larger prefund. Deployment through initCode needs more.
 */
export const DEFAULT_VERIFICATION_GAS = { deployed: 300_000n, counterfactual: 1_000_000n } as const;
/** Call gas for a counterfactual sender, whose call cannot be estimated before its code exists. */
export const DEFAULT_COUNTERFACTUAL_CALL_GAS = 500_000n;


/**
 * A minimal bundler for local chains and tests: fills nonce, fees and gas limits, has the account
 * sign the EntryPoint v0.8 user operation hash, checks the bundle with `eth_call` (turning
 * `FailedOp` into {@link UserOperationFailedError}), then sends `handleOps` from the beneficiary
 * key, which is refunded by the EntryPoint. Not a public mempool bundler: it does not run the
 * ERC-7562 validation-rule tracer nor hold operations.
 *
 * Gas: `callGasLimit` is `eth_estimateGas` of the call from the EntryPoint to a deployed sender,
 * minus the 21,000 intrinsic gas the inner call does not pay (its calldata charge stays, as margin);
 * verification gas defaults to {@link DEFAULT_VERIFICATION_GAS}; `preVerificationGas` is the
 * operation's share of the bundle transaction: 21,000 plus the calldata gas of its ABI encoding.
 *
 * @example
 * const bundler = new Bundler(provider, beneficiary);
 * const result = await bundler.sendUserOperation({ sender, callData }, async (hash) => owner.signingKey.sign(hash).serialized as Hex);
 */
export class Bundler {
  readonly entryPoint: Hex;

  constructor(
    readonly provider: Provider,
    readonly beneficiary: Signer,
    entryPoint: Hex = ENTRY_POINT_V08.address,
  ) {
    this.entryPoint = normalizeAddress(entryPoint, "entryPoint");
  }

  /** The EntryPoint nonce of `sender` in the 192-bit nonce space `key`. */
  async getNonce(sender: Hex, key = 0n): Promise<bigint> {
    const data = entryPointInterface.encodeFunctionData("getNonce", [sender, key]);
    return BigInt(await this.provider.call({ to: this.entryPoint, data }));
  }

  /** Fills every missing gas, fee and nonce field of `draft` (see the class comment for how). */
  async fill(draft: UserOperationDraft): Promise<UserOperation> {
    const sender = normalizeAddress(draft.sender, "sender");
    const deployed = (await this.provider.getCode(sender)) !== "0x";
    if (!deployed && draft.factory === undefined) {
      throw new InvalidArgumentError("SENDER_NOT_DEPLOYED", "factory", `sender ${sender} has no code and the operation has no factory to deploy it`);
    }
    const block = await this.provider.getBlock("latest");
    const baseFee = block?.baseFeePerGas ?? 0n;
    const maxPriorityFeePerGas = draft.maxPriorityFeePerGas ?? 1_000_000_000n;
    const maxFeePerGas = draft.maxFeePerGas ?? baseFee * 2n + maxPriorityFeePerGas;
    let callGasLimit = draft.callGasLimit;
    if (callGasLimit === undefined) {
      if (deployed) {
        const estimate = await this.provider.estimateGas({ from: this.entryPoint, to: sender, data: draft.callData });
        callGasLimit = estimate > 21_000n ? estimate - 21_000n : estimate;
      } else {
        callGasLimit = DEFAULT_COUNTERFACTUAL_CALL_GAS;
      }
    }
    const op: UserOperation = {
      ...draft,
      sender,
      nonce: draft.nonce ?? (await this.getNonce(sender)),
      callGasLimit,
      verificationGasLimit: draft.verificationGasLimit ?? (deployed ? DEFAULT_VERIFICATION_GAS.deployed : DEFAULT_VERIFICATION_GAS.counterfactual),
      preVerificationGas: 0n,
      maxFeePerGas,
      maxPriorityFeePerGas,
      // A 65-byte stand-in so the calldata charge covers an ECDSA-sized signature.
      signature: `0x${"ff".repeat(65)}`,
    };
    op.preVerificationGas = draft.preVerificationGas ?? preVerificationGasOf(packUserOperation(op));
    return op;
  }

  /** The EntryPoint v0.8 hash of `op` on this bundler's chain. */
  async hash(op: PackedUserOperation): Promise<Hex> {
    const { chainId } = await this.provider.getNetwork();
    return userOperationHash(op, { entryPoint: this.entryPoint, chainId });
  }

  /** Fills `draft`, packs it and has `sign` sign its hash. */
  async prepare(draft: UserOperationDraft, sign: UserOperationSigner): Promise<PackedUserOperation> {
    const packed = packUserOperation(await this.fill(draft));
    return { ...packed, signature: await sign(await this.hash(packed), packed) };
  }

  /**
   * Sends `ops` in one `handleOps` transaction from the beneficiary. The bundle is first run with
   * `eth_call`; an operation the EntryPoint refuses throws {@link UserOperationFailedError} and
   * nothing is sent.
   */
  async sendBundle(ops: PackedUserOperation[]): Promise<TransactionReceipt> {
    const beneficiary = await this.beneficiary.getAddress();
    const data = entryPointInterface.encodeFunctionData("handleOps", [ops.map(toTuple), beneficiary]);
    try {
      await this.provider.call({ from: beneficiary, to: this.entryPoint, data });
    } catch (e) {
      throw decodeEntryPointRevert(e) ?? e;
    }
    const tx = await this.beneficiary.sendTransaction({ to: this.entryPoint, data });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`handleOps transaction ${tx.hash} reverted`);
    return receipt;
  }

  /** Fills, signs and sends one operation; returns what its `UserOperationEvent` says. */
  async sendUserOperation(draft: UserOperationDraft, sign: UserOperationSigner): Promise<UserOperationResult> {
    const op = await this.prepare(draft, sign);
    const userOpHash = await this.hash(op);
    const receipt = await this.sendBundle([op]);
    const event = receipt.logs
      .filter((l) => l.address.toLowerCase() === this.entryPoint.toLowerCase())
      .map((l) => entryPointInterface.parseLog(l))
      .find((p) => p?.name === "UserOperationEvent" && p.args.userOpHash === userOpHash);
    if (!event) throw new Error(`handleOps transaction ${receipt.hash} has no UserOperationEvent for ${userOpHash}`);
    return { userOpHash, success: event.args.success, actualGasCost: event.args.actualGasCost, actualGasUsed: event.args.actualGasUsed, receipt };
  }
}

/** The packed operation as the positional tuple ethers encodes for `handleOps`. */
export function toTuple(op: PackedUserOperation): unknown[] {
  return [op.sender, op.nonce, op.initCode, op.callData, op.accountGasLimits, op.preVerificationGas, op.gasFees, op.paymasterAndData, op.signature];
}

/** 21,000 plus EIP-2028 calldata gas (4 per zero byte, 16 per other byte) of the operation's ABI encoding. */
export function preVerificationGasOf(op: PackedUserOperation): bigint {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["tuple(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)"],
    [toTuple(op)],
  );
  let gas = 21_000n;
  for (let i = 2; i < encoded.length; i += 2) gas += encoded.slice(i, i + 2) === "00" ? 4n : 16n;
  return gas;
}

/** The EntryPoint's `FailedOp` / `FailedOpWithRevert` inside an RPC error, or undefined. */
export function decodeEntryPointRevert(error: unknown): UserOperationFailedError | undefined {
  const data = revertData(error);
  if (!data) return undefined;
  try {
    const parsed = entryPointInterface.parseError(data);
    if (parsed?.name === "FailedOp") return new UserOperationFailedError(parsed.args[0], parsed.args[1], undefined, { cause: error });
    if (parsed?.name === "FailedOpWithRevert") return new UserOperationFailedError(parsed.args[0], parsed.args[1], parsed.args[2], { cause: error });
  } catch {
    return undefined;
  }
  return undefined;
}
