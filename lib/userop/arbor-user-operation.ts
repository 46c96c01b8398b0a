/**
 * Arbor wallets as ERC-4337 accounts: the UserOp `callData` that runs a batch of calls and the
 * signer that signs a `userOpHash` with the wallet's configuration (lib/payload/ENCODING.md,
 * "ERC-4337 UserOperation layout").
 */
import { Interface } from "ethers";
import { InvalidArgumentError } from "../errors";
import { normalizeAddress, type Hex } from "../hex";
import type { Configuration } from "../configuration/configuration";
import { normalizeCall } from "../payload/calls";
import { encodePackedCalls } from "../payload/packed-calls";
import { signPayload } from "../signature/sign-payload";
import type { PayloadSigner } from "../signature/signers";
import type { UserOperationSigner } from "./bundler";

const walletInterface = new Interface(["function executeUserOpCalls(bytes calls)"]);

/**
 * The `callData` of a UserOp that makes `wallet` run `calls`: `executeUserOpCalls(packed calls)`,
 * the call encoding of `execute`'s payload without its space and nonce head.
 *
 * Throws {@link InvalidArgumentError}: what `encodePackedCalls` refuses, and
 * `USEROP_SELF_OR_DELEGATE_CALL` (field `calls[i]`) for a call to the wallet itself or a delegate
 * call, which the wallet refuses on this path (`UserOpSelfOrDelegateCall`): send those with `execute`.
 *
 * @example
 * const callData = arborUserOpCallData(wallet, [{ target: token, data: transferData }]);
 */
export function arborUserOpCallData(wallet: Hex | string, calls: readonly unknown[]): Hex {
  const self = normalizeAddress(wallet, "wallet");
  if (!Array.isArray(calls)) throw new InvalidArgumentError("INVALID_ARRAY", "calls", "expected an array of calls");
  calls.forEach((input, i) => {
    const call = normalizeCall(input, `calls[${i}]`);
    if (call.delegateCall || call.target === self) {
      throw new InvalidArgumentError("USEROP_SELF_OR_DELEGATE_CALL", `calls[${i}]`, "a UserOp batch cannot call the wallet itself or delegate call; use execute", {
        details: { target: call.target, delegateCall: call.delegateCall },
      });
    }
  });
  return walletInterface.encodeFunctionData("executeUserOpCalls", [encodePackedCalls(calls)]) as Hex;
}

/**
 * A {@link UserOperationSigner} for the Bundler: signs the `userOpHash` itself (no EIP-712 wrapping,
 * no chain-id-0 flag: the hash already binds chain, EntryPoint, wallet and nonce) with `signers`
 * of `configuration`, as `signPayload` does (same errors).
 *
 * @example
 * await bundler.sendUserOperation({ sender, callData }, arborUserOpSigner(configuration, [ecdsaSigner(key)]));
 */
export function arborUserOpSigner(configuration: Configuration, signers: readonly PayloadSigner[]): UserOperationSigner {
  return async (userOpHash) => (await signPayload(configuration, userOpHash, signers)).signature;
}
