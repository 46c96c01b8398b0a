import { Interface } from "ethers";
import { InvalidArgumentError } from "../errors";
import { normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { wrapSignature } from "./wrap-signature";

const factoryInterface = new Interface([
  "function deploy(address implementation, bytes32 imageHash) returns (address)",
  "function deployAndCall(address implementation, bytes32 imageHash, bytes data) payable returns (address, bytes)",
]);
const walletInterface = new Interface([
  "function updateConfigurationWithSignature(bytes32 root, uint256 threshold, uint256 checkpoint, bytes signature)",
]);

/** A configuration update signed by the wallet's current configuration, not yet sent on this chain. */
export interface PendingConfigurationUpdate {
  root: Hex;
  threshold: bigint;
  checkpoint: bigint;
  /** The current configuration's signature over the update (see `hashConfigUpdate`). */
  signature: Hex;
}

/** Where an Arbor wallet stands on the chain the signature will be checked on. */
export type ArborWalletState =
  /** Not deployed: the wrapper deploys it from its first configuration, then applies `pendingUpdate` if given. */
  | { deployed: false; factory: Hex; implementation: Hex; imageHash: Hex; pendingUpdate?: PendingConfigurationUpdate }
  /** Deployed at an older configuration: the wrapper's prepare step applies `pendingUpdate`. */
  | { deployed: true; wallet: Hex; pendingUpdate: PendingConfigurationUpdate };

function updateCalldata(update: PendingConfigurationUpdate): Hex {
  return walletInterface.encodeFunctionData("updateConfigurationWithSignature", [
    normalizeBytes32(update.root, "pendingUpdate.root"),
    update.threshold,
    update.checkpoint,
    update.signature,
  ]) as Hex;
}

/**
 * Wraps an Arbor wallet signature per ERC-6492 so a standard verifier can check it before the
 * wallet can:
 * - not deployed: `ArborFactory.deploy(implementation, imageHash)`, or with a pending update
 *   `ArborFactory.deployAndCall(implementation, imageHash, updateConfigurationWithSignature(...))`;
 * - deployed but not ready: the prepare call is the wallet's own
 *   `updateConfigurationWithSignature(...)`, which anyone may send with the signed update.
 * `signature` must be made by the configuration the wallet will hold after the prepare step.
 *
 * Only one pending update fits: the prepare step is one call, and the wallet has no batch entry
 * for updates. A wallet two or more updates behind must first receive the earlier ones on chain.
 *
 * @example
 * const wrapped = wrapArborSignature({ deployed: false, factory, implementation, imageHash }, signature);
 */
export function wrapArborSignature(state: ArborWalletState, signature: Hex): Hex {
  if (state.deployed) {
    if (state.pendingUpdate === undefined) {
      throw new InvalidArgumentError("NOTHING_TO_PREPARE", "pendingUpdate", "a deployed wallet needs a pending update to wrap for; send its plain signature instead");
    }
    return wrapSignature({ factory: normalizeAddress(state.wallet, "wallet"), factoryCalldata: updateCalldata(state.pendingUpdate), signature });
  }
  const implementation = normalizeAddress(state.implementation, "implementation");
  const imageHash = normalizeBytes32(state.imageHash, "imageHash");
  const factoryCalldata = (
    state.pendingUpdate === undefined
      ? factoryInterface.encodeFunctionData("deploy", [implementation, imageHash])
      : factoryInterface.encodeFunctionData("deployAndCall", [implementation, imageHash, updateCalldata(state.pendingUpdate)])
  ) as Hex;
  return wrapSignature({ factory: normalizeAddress(state.factory, "factory"), factoryCalldata, signature });
}
