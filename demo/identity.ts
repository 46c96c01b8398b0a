/**
 * The identity service end to end: start its five processes on embedded defaults, log in by email
 * one-time code (read from the dev outbox), have the service's identity signer attest a session key
 * for one app, and use that attestation on-chain from a wallet whose configuration names the signer.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../lib/userop/entry-point";
import { encodeCallsPayload } from "../lib/payload/packed-calls";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, X509Certificate } from "node:crypto";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { startIdentityService } from "../enclave-service/launcher";
import { latestOutboxCode } from "../enclave-service/host/outbox";
import { IdentityClient, secp256k1AuthKey } from "../lib/identity";
import { Configuration } from "../lib/configuration/configuration";
import { walletAddress } from "../lib/wallet/address";
import { hashCalls } from "../lib/payload/hash-calls";
import { toContractCalls } from "../lib/payload/contract-calls";
import type { CallInput } from "../lib/payload/types";
import type { Hex } from "../lib/hex";
import { hashAudience, sessionBatchSpace, signSessionCalls, type SessionCallSigner } from "../lib/sessions";

type Log = (line: string) => void;

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;
const APP = "https://app.example";
const EMAIL = "alice@example.com";

export async function runIdentityDemo(log: Log): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-demo-identity-"));
  log("starting the identity service: three key holders, the enclave, the host (PGlite, dev outbox)…");
  const service = await startIdentityService({ dataDir });
  try {
    const rootFingerprint = createHash("sha256").update(new X509Certificate(service.rootPem).raw).digest("hex");
    log(`1. service at ${service.url}`);
    log(`   enclave measurement (PCR0) ${short(service.measurement)}; LOCAL attestation root sha256 ${short(`0x${rootFingerprint}`)}`);

    // The client pins the root and the measurement, and verifies every response's attestation document.
    const client = new IdentityClient({
      url: service.url,
      // The app's web origin; in a browser the browser sends it and this option is left out.
      origin: APP,
      authKey: secp256k1AuthKey(),
      attestation: { roots: [service.rootPem], measurements: [service.measurement] },
    });
    log(`2. device auth key ${short(client.authKeyId)} signs every request; every response is verified before it is read`);

    const started = await client.initiateEmail({ ecosystem: "demo", audience: APP, email: EMAIL });
    const code = latestOutboxCode(service.outboxFile, EMAIL);
    if (!code) throw new Error("no login code reached the dev outbox");
    log(`3. login code for ${EMAIL} sent (dev outbox ${path.basename(service.outboxFile)}): ${code}`);
    const login = await client.completeOtp(started, code);
    log(`   logged in; identity signer ${short(login.signer)} (created in the enclave, stored only encrypted)`);

    const sessionKey = EthersWallet.createRandom();
    const signed = await client.signAttestation({ approvedSigner: sessionKey.address, lifetimeSeconds: 3600 });
    log(`4. the service attested session key ${short(sessionKey.address)} for ${signed.audience}, expiring ${new Date(Number(signed.attestation.expiresAt) * 1000).toISOString()}`);

    // On-chain: a wallet trusting that identity signer, and an app that accepts requests for APP.
    const [relayer] = await ethers.getSigners();
    const { chainId } = await ethers.provider.getNetwork();
    const factory = await ethers.deployContract("ArborFactory");
    const sessions = await ethers.deployContract("ArborSessions");
    const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
    const app = await ethers.deployContract("SessionTestApp", [[hashAudience(APP)]]);
    const owner = EthersWallet.createRandom();
    const configuration = Configuration.of({
      threshold: 1n,
      checkpoint: 0n,
      leaves: [
        { kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n },
        { kind: "identity-signer", signer: login.signer as Hex },
      ],
    });
    await (await factory.deploy(await implementation.getAddress(), configuration.imageHash)).wait();
    const address = walletAddress({ factory: await factory.getAddress(), implementation: await implementation.getAddress(), imageHash: configuration.imageHash });
    const wallet = await ethers.getContractAt("ArborWallet", address);
    log(`5. wallet ${short(address)}: owner + identity signer ${short(login.signer)}; app contract accepts ${APP}`);

    const calls: CallInput[] = [{ target: (await app.getAddress()) as Hex, data: app.interface.encodeFunctionData("play", [42n]) }];
    const signers: SessionCallSigner[] = [{ attestation: signed.attestation, attestationSignature: signed.signature, key: sessionKey }];
    const space = sessionBatchSpace(signers);
    const nonce = await wallet.nonces(space);
    const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId });
    const signature = signSessionCalls({ configuration, calls, space, digest, signers });
    const receipt = await (await wallet.connect(relayer).execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature)).wait();
    log(`6. the session key played on the app with the service's attestation (${receipt!.gasUsed} gas): score ${await app.scores(address)}`);
  } finally {
    await service.stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
    log("   identity service stopped");
  }
}
