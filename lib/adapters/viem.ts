/**
 * viem adapters (`@arbor-wallet/sdk/viem`): payload signers from a viem account or wallet client,
 * and the ERC-1271 check over a viem public client. Only viem's types are imported, so this
 * entry point runs without viem installed; viem is an optional peer dependency for its types.
 */
import type { Account, LocalAccount, PublicClient, Transport, WalletClient, Chain, BlockTag } from "viem";
import { InvalidArgumentError } from "../errors";
import { normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import type { TypedData } from "../payload/types";
import { erc1271Checker } from "../signature/erc1271";
import { typedDataEcdsaSigner, type EcdsaPayloadSigner } from "../signature/signers";
import type { Erc1271Checker } from "../signature/types";

/** Options of the viem signers. */
export interface ViemSignerOptions {
  /** Encode the part as EIP-2098 compact (0x02) instead of `r ‖ s ‖ v` (0x01). */
  compact?: boolean;
}

/**
 * An ECDSA payload signer from a viem `LocalAccount` (`privateKeyToAccount`, `mnemonicToAccount`,
 * `hdKeyToAccount`): it signs the 32-byte digest itself with the account's `sign({ hash })`.
 *
 * @example
 * import { privateKeyToAccount } from "viem/accounts";
 * const alice = viemAccountSigner(privateKeyToAccount(alicePrivateKey));
 * const { signature } = await signPayload(configuration, digest, [alice]);
 */
export function viemAccountSigner(account: LocalAccount, options: ViemSignerOptions = {}): EcdsaPayloadSigner {
  if (typeof account !== "object" || account === null || account.type !== "local") {
    throw new InvalidArgumentError("UNSUPPORTED_SIGNER", "account", "expected a viem LocalAccount; for a JSON-RPC account use viemWalletClientSigner");
  }
  const sign = account.sign;
  if (typeof sign !== "function") {
    throw new InvalidArgumentError("UNSUPPORTED_SIGNER", "account", "this viem account cannot sign a bare digest (no sign({ hash })); use viemWalletClientSigner with typed data");
  }
  return {
    kind: options.compact ? "ecdsa-compact" : "ecdsa",
    address: normalizeAddress(account.address, "account.address"),
    async signDigest(digest: Hex): Promise<Hex> {
      return sign({ hash: normalizeBytes32(digest, "digest") });
    },
  };
}

/**
 * An ECDSA payload signer from a viem `WalletClient`. With a local account it signs the digest
 * directly (as {@link viemAccountSigner}); with a JSON-RPC account (a browser wallet) it signs
 * `typedData` with `eth_signTypedData_v4` after checking that `typedData` hashes to the digest
 * being signed, so `typedData` is required then.
 *
 * @example
 * const td = typedDataCalls(payload, { wallet, chainId: client.chain.id });
 * const signer = await viemWalletClientSigner(client, td);
 * await signPayload(configuration, hashCalls(payload, { wallet, chainId: client.chain.id }), [signer]);
 */
export async function viemWalletClientSigner(
  client: WalletClient<Transport, Chain | undefined, Account | undefined>,
  typedData?: TypedData,
  options: ViemSignerOptions = {},
): Promise<EcdsaPayloadSigner> {
  const account = client.account ?? (await client.getAddresses())[0];
  if (account === undefined) throw new InvalidArgumentError("UNSUPPORTED_SIGNER", "client", "the wallet client has no account");
  if (typeof account === "object" && account.type === "local") return viemAccountSigner(account, options);
  if (typedData === undefined) {
    throw new InvalidArgumentError("TYPED_DATA_REQUIRED", "typedData", "a JSON-RPC account signs typed data only: pass the payload's typed data (typedDataCalls, typedDataMessage, ...)");
  }
  const address = typeof account === "string" ? account : account.address;
  return typedDataEcdsaSigner(
    {
      getAddress: async () => address,
      signTypedData: async (domain, types, message) => {
        const { EIP712Domain: _domainType, ...messageTypes } = types;
        return client.signTypedData({
          account: address,
          domain: { ...domain, chainId: domain.chainId },
          types: messageTypes,
          primaryType: typedData.primaryType,
          message,
        } as Parameters<typeof client.signTypedData>[0]);
      },
    },
    typedData,
    options,
  );
}

/**
 * An {@link Erc1271Checker} over a viem `PublicClient`: `isValidSignature(digest, signature)` is
 * called on the signer and accepted only when it returns the magic value `0x1626ba7e`.
 *
 * @example
 * const ok = await viemErc1271Checker(publicClient)(walletAddress, digest, signature);
 */
export function viemErc1271Checker(client: Pick<PublicClient, "call">, blockTag?: BlockTag): Erc1271Checker {
  return erc1271Checker({
    call: ({ to, data }) => client.call({ to, data, ...(blockTag === undefined ? {} : { blockTag }) }),
  });
}
