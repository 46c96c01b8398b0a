import { expect } from "chai";
import { decodeCallsPayload, encodeCallsPayload } from "../../lib/payload/packed-calls";
import { callsStructHash } from "../../lib/payload/calls";
import fs from "node:fs";
import { Configuration } from "../../lib/configuration/configuration";
import { processMultiProof, processProof } from "../../lib/configuration/tree";
import type { Hex } from "../../lib/hex";
import { hashCalls } from "../../lib/payload/hash-calls";
import { hashConfigUpdate } from "../../lib/payload/hash-config-update";
import { hashMessage } from "../../lib/payload/hash-message";
import type { CallsPayload, OnFailure } from "../../lib/payload/types";
import { recoverSignature } from "../../lib/signature/recover-signature";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { walletAddress } from "../../lib/wallet/address";
import { buildConfigurationVectors, VECTORS_FILE } from "../vectors/generate-configuration";

/* eslint-disable @typescript-eslint/no-explicit-any */
const vectors = JSON.parse(fs.readFileSync(VECTORS_FILE, "utf8"));

function callsFromJson(input: any): CallsPayload {
  return {
    space: BigInt(input.space),
    nonce: BigInt(input.nonce),
    calls: input.calls.map((c: any) => ({
      target: c.target,
      value: BigInt(c.value),
      data: c.data,
      gasLimit: BigInt(c.gasLimit),
      delegateCall: c.delegateCall,
      onFailure: c.onFailure as OnFailure,
    })),
  };
}

describe("vectors", () => {
  describe("configuration.json", () => {
    it("is exactly what the generator computes today (regenerate only for an intended format change)", async () => {
      const fresh = await buildConfigurationVectors();
      for (const key of Object.keys(vectors)) expect(fresh[key], key).to.deep.equal(vectors[key]);
      expect(Object.keys(fresh)).to.deep.equal(Object.keys(vectors));
    });

    it("reproduces leaf hashes, root, image hash, wallet address and proofs from each configuration", () => {
      expect(vectors.configurations).to.have.length.greaterThan(3);
      for (const c of vectors.configurations) {
        const config = Configuration.load(c.configuration);
        expect(config.leafHashes, c.name).to.deep.equal(c.leafHashes);
        expect(config.root, c.name).to.equal(c.root);
        expect(config.imageHash, c.name).to.equal(c.imageHash);
        expect(walletAddress({ factory: vectors.factory, implementation: vectors.implementation, imageHash: c.imageHash })).to.equal(c.walletAddress);
        for (const p of c.proofs) expect(processProof(p.leafHash, p.proof)).to.equal(c.root);
        expect(processMultiProof({ leaves: c.multiProof.leafHashes, proof: c.multiProof.proof, proofFlags: c.multiProof.proofFlags })).to.equal(c.root);
      }
    });

    it("reproduces every payload digest from its inputs", () => {
      for (const p of vectors.payloads) {
        const context = { wallet: p.wallet, chainId: BigInt(p.chainId) };
        let digest: Hex;
        if (p.kind === "calls") {
          digest = hashCalls(callsFromJson(p.input), context);
          expect(encodeCallsPayload(callsFromJson(p.input)), "packed payload").to.equal(p.packed);
          expect(callsStructHash(decodeCallsPayload(p.packed))).to.equal(p.structHash);
        }
        else if (p.kind === "configUpdate") digest = hashConfigUpdate({ root: p.input.root, threshold: BigInt(p.input.threshold), checkpoint: BigInt(p.input.checkpoint) }, context);
        else digest = hashMessage(p.input.hash, context);
        expect(digest, `${p.kind} on chain ${p.chainId}`).to.equal(p.digest);
      }
    });

    it("reproduces each encoded signature from its private keys and recovers its image hash", async () => {
      for (const s of vectors.signatures) {
        const config = Configuration.load(vectors.configurations.find((c: any) => c.name === s.configuration).configuration);
        const signers = s.signers.map((x: any) => ecdsaSigner(x.privateKey, { compact: x.compact }));
        const signed = await signPayload(config, s.digest, signers, { chainIdZero: s.allowChainIdZero });
        expect(signed.signature, s.name).to.equal(s.signature);
        const recovered = await recoverSignature(s.digest, s.signature, { allowChainIdZero: s.allowChainIdZero });
        expect(recovered.imageHash).to.equal(s.imageHash);
        expect(recovered.signers.map((r) => r.address).sort()).to.deep.equal(s.signers.map((x: any) => x.address).sort());
      }
    });
  });
});
