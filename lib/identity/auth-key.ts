import { webcrypto } from "node:crypto";
import { Wallet } from "ethers";
import { P256_N } from "./request-signing";

/** A device key that signs requests to the identity service. */
export interface AuthKey {
  /** `secp256k1:<address>` or `p256:0x04<x><y>`; see request-signing.ts. */
  readonly id: string;
  /** Signs the canonical request string; hex signature in the encoding the id's kind prescribes. */
  sign(canonical: string): Promise<string>;
}

/**
 * A secp256k1 (Ethereum) auth key; signs with EIP-191 personal_sign.
 *
 * @example
 * const key = secp256k1AuthKey(); // random
 * const same = secp256k1AuthKey("0x" + "11".repeat(32));
 */
export function secp256k1AuthKey(privateKey?: string): AuthKey {
  const wallet = privateKey === undefined ? Wallet.createRandom() : new Wallet(privateKey);
  return {
    id: `secp256k1:${wallet.address}`,
    sign: (canonical) => wallet.signMessage(canonical),
  };
}

/**
 * A WebCrypto P-256 auth key (what a browser can keep non-extractable in IndexedDB).
 *
 * @example
 * const key = await p256AuthKey();
 */
export async function p256AuthKey(keyPair?: CryptoKeyPair): Promise<AuthKey> {
  const subtle = webcrypto.subtle;
  const pair = keyPair ?? ((await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair);
  const raw = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return {
    id: `p256:0x${Buffer.from(raw).toString("hex")}`,
    async sign(canonical) {
      const sig = Buffer.from(await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, Buffer.from(canonical, "utf8")));
      // WebCrypto returns either twin; the service takes only the low-s one, so normalise: s -> n - s.
      const s = BigInt("0x" + sig.subarray(32).toString("hex"));
      const low = s > P256_N >> 1n ? P256_N - s : s;
      return "0x" + sig.subarray(0, 32).toString("hex") + low.toString(16).padStart(64, "0");
    },
  };
}
