import "reflect-metadata";
import { expect } from "chai";
import { createPrivateKey, webcrypto, type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { createAttestationDocument, verifyAttestationDocument } from "../../lib/attestation";
import { expectFailure } from "./expect-failure";

// Hand-built chains that break one X.509 rule each, to show the chain check catches every one.
const crypto = webcrypto as unknown as Crypto;
const P384 = { name: "ECDSA", namedCurve: "P-384" };
const SIGN = { name: "ECDSA", hash: "SHA-384" };
const KU = x509.KeyUsageFlags;
const notBefore = new Date(Date.now() - 60_000);
const notAfter = new Date(Date.now() + 3_600_000);

interface Level {
  name: string;
  extensions: (keys: CryptoKeyPair) => Promise<x509.Extension[]> | x509.Extension[];
}

const caExtensions = (pathLength?: number, usages = KU.keyCertSign | KU.cRLSign) => () => [new x509.BasicConstraintsExtension(true, pathLength, true), new x509.KeyUsagesExtension(usages, true)];
const leafExtensions = () => [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(KU.digitalSignature, true)];

/** Root, intermediates and a leaf, each signed by the one above; returns what a document needs. */
async function buildChain(levels: Level[]): Promise<{ rootPem: string; certificate: Uint8Array; cabundle: Uint8Array[]; signingKey: KeyObject }> {
  const keys: CryptoKeyPair[] = [];
  const certs: x509.X509Certificate[] = [];
  for (let i = 0; i < levels.length; i++) {
    const pair = (await crypto.subtle.generateKey(P384, true, ["sign", "verify"])) as CryptoKeyPair;
    const params = { serialNumber: `0${i + 1}`, notBefore, notAfter, signingAlgorithm: SIGN, extensions: await levels[i].extensions(pair) };
    certs.push(
      i === 0
        ? await x509.X509CertificateGenerator.createSelfSigned({ ...params, name: `CN=${levels[i].name}`, keys: pair }, crypto)
        : await x509.X509CertificateGenerator.create({ ...params, subject: `CN=${levels[i].name}`, issuer: certs[i - 1].subject, publicKey: pair.publicKey, signingKey: keys[i - 1].privateKey }, crypto),
    );
    keys.push(pair);
  }
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys[keys.length - 1].privateKey);
  return {
    rootPem: certs[0].toString("pem"),
    certificate: new Uint8Array(certs[certs.length - 1].rawData),
    cabundle: certs.slice(0, -1).map((c) => new Uint8Array(c.rawData)),
    signingKey: createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }),
  };
}

async function documentFor(levels: Level[]): Promise<{ bytes: Uint8Array; rootPem: string }> {
  const chain = await buildChain(levels);
  const bytes = createAttestationDocument({ moduleId: "chain-test", pcrs: { 0: Buffer.alloc(48, 5) }, certificate: chain.certificate, cabundle: chain.cabundle, signingKey: chain.signingKey });
  return { bytes, rootPem: chain.rootPem };
}

describe("attestation", function () {
  describe("verifyAttestationDocument (certificate chain rules)", function () {
    it("accepts a well-formed root, two intermediates and a leaf when the path lengths allow them", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions(2) },
        { name: "inter 1", extensions: caExtensions(1) },
        { name: "inter 2", extensions: caExtensions(0) },
        { name: "leaf", extensions: leafExtensions },
      ]);
      expect(verifyAttestationDocument(bytes, { roots: [rootPem] }).chain).to.have.length(4);
    });

    it("throws certificate-chain when an intermediate's path length is exceeded", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "inter 1", extensions: caExtensions(0) },
        { name: "inter 2", extensions: caExtensions(0) },
        { name: "leaf", extensions: leafExtensions },
      ]);
      const error = expectFailure(bytes, { roots: [rootPem] }, "certificate-chain");
      expect(error.details).to.include({ certificate: "cabundle[1]", pathLength: 0, casBelow: 1 });
    });

    it("throws certificate-chain when an issuing certificate is not a CA", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "inter", extensions: () => [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(KU.keyCertSign | KU.digitalSignature, true)] },
        { name: "leaf", extensions: leafExtensions },
      ]);
      expect(expectFailure(bytes, { roots: [rootPem] }, "certificate-chain").message).to.match(/cabundle\[1\] is not a CA/);
    });

    it("throws certificate-chain when an issuing certificate lacks basic constraints", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "inter", extensions: () => [new x509.KeyUsagesExtension(KU.keyCertSign, true)] },
        { name: "leaf", extensions: leafExtensions },
      ]);
      expect(expectFailure(bytes, { roots: [rootPem] }, "certificate-chain").message).to.match(/cabundle\[1\] is not a CA/);
    });

    it("throws certificate-chain when the signing certificate is itself a CA", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "leaf", extensions: caExtensions(0, KU.keyCertSign | KU.digitalSignature) },
      ]);
      const error = expectFailure(bytes, { roots: [rootPem] }, "certificate-chain");
      expect(error.message).to.match(/signing certificate is a CA/);
    });

    it("throws certificate-chain when the signing certificate may not make digital signatures", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "leaf", extensions: () => [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(KU.keyAgreement, true)] },
      ]);
      expect(expectFailure(bytes, { roots: [rootPem] }, "certificate-chain").message).to.match(/does not allow digitalSignature/);
    });

    it("throws certificate-chain when a certificate carries a critical extension the verifier does not understand", async function () {
      const { bytes, rootPem } = await documentFor([
        { name: "root", extensions: caExtensions() },
        { name: "leaf", extensions: () => [...leafExtensions(), new x509.Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([0x05, 0x00]))] },
      ]);
      const error = expectFailure(bytes, { roots: [rootPem] }, "certificate-chain");
      expect(error.details.extension).to.equal("1.3.6.1.4.1.99999.1");
    });

    it("throws certificate-chain when a certificate names an issuer that is not its parent", async function () {
      const a = await buildChain([{ name: "root", extensions: caExtensions() }, { name: "leaf", extensions: leafExtensions }]);
      const b = await buildChain([{ name: "other root", extensions: caExtensions() }, { name: "leaf", extensions: leafExtensions }]);
      // b's leaf under a's root: a real certificate, but not issued by the bundle's root.
      const bytes = createAttestationDocument({ moduleId: "chain-test", pcrs: { 0: Buffer.alloc(48, 5) }, certificate: b.certificate, cabundle: a.cabundle, signingKey: b.signingKey });
      const error = expectFailure(bytes, { roots: [a.rootPem] }, "certificate-chain");
      expect(error.details).to.include({ certificate: "certificate", issuerCertificate: "cabundle[0]" });
    });
  });
});
