// A certificate authority made in the test (no tests here): real X.509 via @peculiar/x509 and
// node's WebCrypto, for TLS servers on loopback that the enclave must verify.
import "reflect-metadata";
import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const provider = webcrypto as unknown as Crypto;

/** A server certificate and its key, PEM, ready for `tls.createServer({ key, cert })`. */
export interface ServerCredentials {
  key: string;
  cert: string;
}

/** A local CA: its PEM (what the enclave's `egress.caPem` lists) and a way to issue server certificates. */
export interface TestCa {
  pem: string;
  /** A server certificate for these names: "127.0.0.1" becomes an IP SAN, anything else a DNS SAN. */
  issue(names: string[]): Promise<ServerCredentials>;
}

/**
 * Creates a CA with a P-256 key.
 *
 * @example
 * const ca = await createTestCa("Arbor test CA");
 * const { key, cert } = await ca.issue(["127.0.0.1"]);
 */
export async function createTestCa(commonName: string): Promise<TestCa> {
  x509.cryptoProvider.set(provider);
  const keys = (await provider.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString("hex"),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    pem: ca.toString("pem"),
    async issue(names) {
      const leafKeys = (await provider.subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomBytes(8).toString("hex"),
        subject: `CN=${names[0]}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? "ip" : "dns") as x509.GeneralNameType, value: n }))),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      const key = KeyObject.from(leafKeys.privateKey as unknown as webcrypto.CryptoKey).export({ format: "pem", type: "pkcs8" }).toString();
      return { key, cert: cert.toString("pem") };
    },
  };
}
