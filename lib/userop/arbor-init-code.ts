import { Interface } from "ethers";
import { normalizeAddress, normalizeBytes32, type Hex } from "../hex";

const factoryInterface = new Interface(["function deploy(address implementation, bytes32 imageHash) returns (address)"]);

/**
 * The `factory` and `factoryData` of a user operation that deploys an Arbor wallet on first use:
 * the EntryPoint's SenderCreator calls `ArborFactory.deploy(implementation, imageHash)`, which
 * returns the wallet (already deployed or freshly cloned), so the deployment is idempotent.
 *
 * @example
 * const draft = { sender, ...arborInitCode({ factory, implementation, imageHash }), callData };
 */
export function arborInitCode(input: { factory: Hex; implementation: Hex; imageHash: Hex }): { factory: Hex; factoryData: Hex } {
  return {
    factory: normalizeAddress(input.factory, "factory"),
    factoryData: factoryInterface.encodeFunctionData("deploy", [
      normalizeAddress(input.implementation, "implementation"),
      normalizeBytes32(input.imageHash, "imageHash"),
    ]) as Hex,
  };
}
