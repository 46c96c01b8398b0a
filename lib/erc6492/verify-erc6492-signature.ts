import { AbiCoder, Interface, type Provider } from "ethers";
import { bytesToHex, hexToBytes, normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { revertData } from "../revert-data";
import { Erc6492Error } from "./erc6492-error";
import { ERC6492_VERIFIER_BYTECODE } from "./erc6492-verifier-bytecode";
import { unwrapSignature } from "./unwrap-signature";

const verifierErrors = new Interface([
  "error ERC6492PrepareFailed(address factory, bytes returnData)",
  "error ERC1271Reverted(address signer, bytes returnData)",
  "error ECDSASignatureLength(address signer, uint256 length)",
]);

/**
 * Whether `signature` is `signer`'s signature of `hash` by ERC-6492's rules: an EOA's ECDSA
 * signature, a deployed contract's ERC-1271 answer, or a wrapped signature whose prepare call
 * (deployment, or a pending configuration update) makes the contract accept it. Runs the
 * deployless contracts/erc6492/ERC6492Verifier.sol with one `eth_call` at `blockTag`; nothing is
 * sent and nothing stays deployed.
 *
 * Resolves `false` for a wrong signature (wrong signer, another wallet's signature, a stale
 * configuration). Throws Erc6492Error when no answer can be given: MALFORMED_WRAPPER (checked
 * off-chain first), PREPARE_FAILED, ERC1271_REVERTED, SIGNATURE_LENGTH.
 *
 * @example
 * const ok = await verifyErc6492Signature(provider, { signer: wallet, hash, signature: wrapped });
 */
export async function verifyErc6492Signature(
  provider: Provider,
  input: { signer: Hex | string; hash: Hex | string; signature: Hex | string },
  blockTag: string | number = "latest",
): Promise<boolean> {
  const signer = normalizeAddress(input.signer, "signer");
  const hash = normalizeBytes32(input.hash, "hash");
  const signature = bytesToHex(hexToBytes(input.signature, "signature"));
  unwrapSignature(signature);
  const args = AbiCoder.defaultAbiCoder().encode(["address", "bytes32", "bytes"], [signer, hash, signature]);
  let answer: string;
  try {
    answer = await provider.call({ data: `${ERC6492_VERIFIER_BYTECODE}${args.slice(2)}`, blockTag });
  } catch (e) {
    throw verifierError(e) ?? e;
  }
  if (answer === "0x01") return true;
  if (answer === "0x00") return false;
  throw new Erc6492Error("ERC1271_REVERTED", `the verifier answered ${answer}, not one byte`, { details: { answer } });
}

function verifierError(error: unknown): Erc6492Error | undefined {
  const data = revertData(error);
  if (!data) return undefined;
  let parsed;
  try {
    parsed = verifierErrors.parseError(data);
  } catch {
    return undefined;
  }
  if (!parsed) return undefined;
  const details = { args: parsed.args.toArray() };
  if (parsed.name === "ERC6492PrepareFailed") return new Erc6492Error("PREPARE_FAILED", `the prepare call to ${parsed.args[0]} reverted with ${parsed.args[1]}`, { cause: error, details: { factory: parsed.args[0], returnData: parsed.args[1], ...details } });
  if (parsed.name === "ERC1271Reverted") return new Erc6492Error("ERC1271_REVERTED", `${parsed.args[0]}.isValidSignature reverted with ${parsed.args[1]}`, { cause: error, details: { signer: parsed.args[0], returnData: parsed.args[1], ...details } });
  return new Erc6492Error("SIGNATURE_LENGTH", `${parsed.args[0]} has no code and the ${parsed.args[1]}-byte signature is neither an ERC-6492 wrapper nor a 65-byte ECDSA signature`, { cause: error, details: { signer: parsed.args[0], length: parsed.args[1], ...details } });
}
