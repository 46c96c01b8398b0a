/**
 * ethers v6 adapters (`@arbor-wallet/sdk/ethers`): a payload signer from any ethers `Signer`, and
 * the ERC-1271 check over an ethers `Provider`. The same functions as viem's adapters, by name.
 */
import type { BlockTag, Provider, Signer } from "ethers";
import { InvalidArgumentError } from "../errors";
import type { TypedData } from "../payload/types";
import { erc1271Checker } from "../signature/erc1271";
import { ecdsaSigner, typedDataEcdsaSigner, type EcdsaPayloadSigner, type SigningKeyHolder } from "../signature/signers";
import type { Erc1271Checker } from "../signature/types";

/** Options of {@link ethersSigner}. */
export interface EthersSignerOptions {
  /** Encode the part as EIP-2098 compact (0x02) instead of `r ‖ s ‖ v` (0x01). */
  compact?: boolean;
}

function holdsSigningKey(signer: unknown): signer is SigningKeyHolder {
  return typeof signer === "object" && signer !== null && "signingKey" in signer && typeof (signer as { signingKey?: { sign?: unknown } }).signingKey?.sign === "function";
}

/**
 * An ECDSA payload signer from an ethers `Signer`. A `Wallet` or `HDNodeWallet` signs the digest
 * itself; any other signer (a `JsonRpcSigner`, a Hardhat signer, a browser wallet) signs
 * `typedData` with `eth_signTypedData_v4`, after checking that `typedData` hashes to the digest
 * being signed, so `typedData` is required then.
 *
 * @example
 * const alice = await ethersSigner(new Wallet(alicePrivateKey));
 * const bob = await ethersSigner(await provider.getSigner(), typedDataCalls(payload, { wallet, chainId }));
 */
export async function ethersSigner(signer: Signer, typedData?: TypedData, options: EthersSignerOptions = {}): Promise<EcdsaPayloadSigner> {
  if (holdsSigningKey(signer)) return ecdsaSigner(signer, options);
  if (typeof signer !== "object" || signer === null || typeof signer.signTypedData !== "function") {
    throw new InvalidArgumentError("UNSUPPORTED_SIGNER", "signer", "expected an ethers Signer");
  }
  if (typedData === undefined) {
    throw new InvalidArgumentError("TYPED_DATA_REQUIRED", "typedData", "this signer signs typed data only: pass the payload's typed data (typedDataCalls, typedDataMessage, ...)");
  }
  return typedDataEcdsaSigner(signer, typedData, options);
}

/**
 * An {@link Erc1271Checker} over an ethers `Provider` (or a `Signer` with a provider).
 *
 * @example
 * const ok = await ethersErc1271Checker(provider)(walletAddress, digest, signature);
 */
export function ethersErc1271Checker(provider: Pick<Provider, "call">, blockTag?: BlockTag): Erc1271Checker {
  return erc1271Checker({ call: (tx) => provider.call({ ...tx, ...(blockTag === undefined ? {} : { blockTag }) }) });
}
