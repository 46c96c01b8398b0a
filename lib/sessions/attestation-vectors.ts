/**
 * Generates the frozen session-attestation vectors in test/sessions/attestation-vectors.json from
 * fixed inputs and a fixed key. Run it once when the encoding changes on purpose:
 *
 *     npx ts-node --transpile-only lib/sessions/attestation-vectors.ts > test/sessions/attestation-vectors.json
 *
 * The test recomputes every vector and fails loudly if a byte moved. ECDSA signing is RFC 6979
 * deterministic, so signatures freeze too.
 */
import { keccak256, toUtf8Bytes, computeAddress } from "ethers";
import {
  type Attestation,
  IDENTITY_TYPE,
  encodeAttestation,
  hashAttestation,
  hashAudience,
  hashIssuer,
  signAttestation,
} from "./attestation";

export interface AttestationVector {
  name: string;
  attestation: Omit<Attestation, "issuedAt" | "expiresAt"> & { issuedAt: string; expiresAt: string };
  issuer: string;
  audience: string;
  encoded: string;
  hash: string;
  signer: string;
  signature: string;
}

/** The fixed test key: keccak256("arbor.test.identity-signer"). Public on purpose: never fund it. */
export const VECTOR_PRIVATE_KEY = keccak256(toUtf8Bytes("arbor.test.identity-signer"));

/**
 * Builds the vectors from fixed inputs.
 *
 * @example
 * const vectors = generateAttestationVectors();
 */
export function generateAttestationVectors(): { version: string; privateKey: string; vectors: AttestationVector[] } {
  const inputs: { name: string; issuer: string; audience: string; a: Omit<Attestation, "issuerHash" | "audienceHash"> }[] = [
    {
      name: "email, empty application data",
      issuer: "email",
      audience: "https://app.example",
      a: {
        approvedSigner: "0x1111111111111111111111111111111111111111",
        identityType: IDENTITY_TYPE.email,
        applicationData: "0x",
        issuedAt: 1_700_000_000n,
        expiresAt: 1_700_003_600n,
      },
    },
    {
      name: "phone, short application data",
      issuer: "phone",
      audience: "https://wallet.example:8443",
      a: {
        approvedSigner: "0x00000000000000000000000000000000DeaDBeef",
        identityType: IDENTITY_TYPE.phone,
        applicationData: "0xcafe",
        issuedAt: 0n,
        expiresAt: 1n,
      },
    },
    {
      name: "oidc, 100 bytes of application data",
      issuer: "https://accounts.google.com",
      audience: "https://game.example",
      a: {
        approvedSigner: "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF",
        identityType: IDENTITY_TYPE.oidc,
        applicationData: "0x" + "ab".repeat(100),
        issuedAt: 1_735_689_600n,
        expiresAt: 1_735_776_000n,
      },
    },
    {
      name: "oidc, uint64 maximum expiry",
      issuer: "https://appleid.apple.com",
      audience: "https://app.example",
      a: {
        approvedSigner: "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
        identityType: IDENTITY_TYPE.oidc,
        applicationData: "0x00",
        issuedAt: 1_700_000_000n,
        expiresAt: (1n << 64n) - 1n,
      },
    },
  ];
  const signer = computeAddress(VECTOR_PRIVATE_KEY);
  const vectors = inputs.map(({ name, issuer, audience, a }) => {
    const attestation: Attestation = { ...a, issuerHash: hashIssuer(issuer), audienceHash: hashAudience(audience) };
    return {
      name,
      attestation: { ...attestation, issuedAt: String(a.issuedAt), expiresAt: String(a.expiresAt) },
      issuer,
      audience,
      encoded: encodeAttestation(attestation),
      hash: hashAttestation(attestation),
      signer,
      signature: signAttestation(attestation, VECTOR_PRIVATE_KEY),
    };
  });
  return { version: "arbor.attestation.v1", privateKey: VECTOR_PRIVATE_KEY, vectors };
}

if (require.main === module) {
  process.stdout.write(JSON.stringify(generateAttestationVectors(), null, 2) + "\n");
}
