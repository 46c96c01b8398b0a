/**
 * Property tests: the library's off-chain check and the sessions module agree.
 *
 * Law: for random session leaves (random permissions and rules), random batches of calls, random
 * signing keys, random nonce spaces (mostly the first call's key's own, sometimes the owners' 0,
 * another session key's or any word) and random corruptions of the signature (bit flips, cuts,
 * extra bytes, and a call re-routed to another leaf, permission or attestation after signing),
 * `checkSessionCalls` accepts exactly when
 * `ArborSessions.validateSessionCalls` returns, with the same image hash, and otherwise names the
 * same custom error with the same arguments.
 *
 * The module is called directly with `eth_call` from a random "wallet" address (its usage is keyed
 * by `msg.sender`), so most cases need no mined transaction; the cross-transaction law mines a
 * first batch and then compares the second one against the state it left.
 * Runs: SESSIONS_PROPERTY_RUNS, else 2000 under CI, else 500.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import type { Leaf } from "../../lib/configuration/leaves";
import type { Permission, Rule, RuleOperation } from "../../lib/configuration/permissions";
import type { Hex } from "../../lib/hex";
import type { CallInput } from "../../lib/payload/types";
import {
  FULL_MASK,
  SELECTOR_MASK,
  chainSessionState,
  checkSessionCalls,
  decodeSessionSignature,
  encodeSessionSignature,
  explicitSession,
  sessionBatchSpace,
  sessionNonceSpace,
  signSessionCalls,
  SessionError,
  type CallAuthorisation,
  type CheckSessionCallsResult,
  type SessionCallSigner,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import { APP_ORIGIN, OTHER_ORIGIN, attest, contractCalls, resignCall } from "./fixture";
import type { ArborSessions } from "../../typechain-types";

const RUNS = Number(process.env.SESSIONS_PROPERTY_RUNS ?? (process.env.CI ? 2000 : 500));
const FAR = 4_000_000_000n;
const SESSION_KEYS = keys(3, "parity-session-keys");
const IDENTITY = keys(1, "parity-identity")[0];
const OWNER = keys(1, "parity-owner")[0];
const SELECTORS = ["0xa9059cbb", "0x095ea7b3", "0x12345678"];

interface World {
  sessions: ArborSessions;
  sessionsAddress: Hex;
  chainId: bigint;
  /** Plain addresses (no code) and app contracts. */
  targets: Hex[];
  app: Hex;
  otherApp: Hex;
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const arbWordValue = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.constantFrom(0n, 1n, (1n << 256n) - 1n, 1n << 255n),
);
const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}`;

function arbRule(): fc.Arbitrary<Rule> {
  return fc.oneof(
    // Selector pin.
    fc.record({
      operation: fc.constantFrom<RuleOperation>(0, 1),
      cumulative: fc.constant(false),
      offset: fc.constant(0n),
      mask: fc.constant(SELECTOR_MASK),
      value: fc.constantFrom(...SELECTORS).map((s) => `${s}${"0".repeat(56)}` as Hex),
    }),
    // Numeric rule over an argument, maybe cumulative.
    fc.record({
      operation: fc.constantFrom<RuleOperation>(0, 1, 2, 3),
      cumulative: fc.boolean(),
      offset: fc.oneof(fc.constantFrom(4n, 36n, 68n, 100n), fc.bigInt({ min: 0n, max: 140n }), fc.constant((1n << 256n) - 1n)),
      mask: fc.oneof(fc.constant(FULL_MASK), fc.constant(word(0xffn)), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex)),
      value: arbWordValue.map(word),
    }),
    // Calldata-length rule (operations 4 and 5; cumulative, offset and mask zero).
    fc.record({
      operation: fc.constantFrom<RuleOperation>(4, 5),
      cumulative: fc.constant(false),
      offset: fc.constant(0n),
      mask: fc.constant(word(0n)),
      value: fc.oneof(fc.constantFrom(0n, 3n, 4n, 36n, 67n, 68n, 100n), fc.bigInt({ min: 0n, max: 140n }), fc.constant((1n << 256n) - 1n)).map(word),
    }),
  );
}

interface SessionSpec {
  key: number;
  chainId: "any" | "here" | "other";
  valueLimit: bigint;
  expired: boolean;
  permissions: { target: number; rules: Rule[] }[];
}

const arbSession: fc.Arbitrary<SessionSpec> = fc.record({
  key: fc.integer({ min: 0, max: SESSION_KEYS.length - 1 }),
  chainId: fc.oneof({ weight: 10, arbitrary: fc.constantFrom<SessionSpec["chainId"]>("any", "here") }, { weight: 1, arbitrary: fc.constant<SessionSpec["chainId"]>("other") }),
  valueLimit: fc.constantFrom(0n, 2n, 5n, 1_000n),
  expired: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  permissions: fc.array(fc.record({ target: fc.integer({ min: 0, max: 3 }), rules: fc.array(arbRule(), { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
});

interface CallSpec {
  /** Index into sessions, or -1 for an attested call. */
  session: number;
  /** Taken modulo the session's permission count; -1 is one past the end. */
  permissionIndex: number;
  /** Sign with the right key, or with another one. */
  wrongKey: boolean;
  target: number;
  selector: number;
  args: bigint[];
  /** Bytes cut off the end of the calldata (short calldata: a selector prefix, a missing argument byte). */
  truncate: number;
  value: bigint;
  delegateCall: boolean;
  /** Attested calls: which app and audience, and whether the attestation is current. */
  audience: "app" | "other";
  window: "current" | "expired" | "future";
}

const arbCall: fc.Arbitrary<CallSpec> = fc.record({
  // Mostly explicit calls (sessions 0..2); -1 is an attested call.
  session: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(-1) }),
  // Mostly a permission the session has (taken modulo its count), sometimes one past the end.
  permissionIndex: fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(-1) }),
  wrongKey: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
  // 0..3: the permission's own target; 4..7 a plain address; 8 the wallet; 9 the module.
  target: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 2, arbitrary: fc.integer({ min: 4, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 8, max: 9 }) }),
  selector: fc.integer({ min: 0, max: SELECTORS.length - 1 }),
  args: fc.array(fc.oneof({ weight: 5, arbitrary: fc.bigInt({ min: 0n, max: 200n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }) }), { maxLength: 3 }),
  truncate: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  value: fc.oneof({ weight: 10, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(1n, 3n) }),
  delegateCall: fc.integer({ min: 0, max: 49 }).map((n) => n === 0),
  audience: fc.constantFrom<CallSpec["audience"]>("app", "app", "app", "other"),
  window: fc.oneof({ weight: 10, arbitrary: fc.constant<CallSpec["window"]>("current") }, { weight: 1, arbitrary: fc.constantFrom<CallSpec["window"]>("expired", "future") }),
});

/** `reroute`: after signing, call `call` (modulo the count) names another leaf, permission or attestation (`to` picks which and where). */
type Corruption =
  | { kind: "none" }
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; by: number }
  | { kind: "append"; byte: number }
  | { kind: "reroute"; call: number; to: number };
const arbCorruption: fc.Arbitrary<Corruption> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Corruption>({ kind: "none" }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reroute" as const), call: fc.nat(), to: fc.nat({ max: 15 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), by: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("append" as const), byte: fc.integer({ min: 0, max: 255 }) }) },
);

/** Which nonce space the batch claims: its first key's own, the owners' 0, some session key's, or any word. */
type SpaceSpec = { kind: "own" } | { kind: "zero" } | { kind: "key"; key: number } | { kind: "word"; value: bigint };
const arbSpace: fc.Arbitrary<SpaceSpec> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<SpaceSpec>({ kind: "own" }) },
  { weight: 1, arbitrary: fc.constant<SpaceSpec>({ kind: "zero" }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("key" as const), key: fc.integer({ min: 0, max: SESSION_KEYS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("word" as const), value: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }) }) },
);

const arbCase = fc.record({
  sessions: fc.array(arbSession, { minLength: 1, maxLength: 3 }),
  space: arbSpace,
  calls: fc.oneof({ weight: 3, arbitrary: fc.array(arbCall, { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.array(arbCall, { minLength: 3, maxLength: 4 }) }),
  digest: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => ethers.hexlify(b) as Hex),
  corruption: arbCorruption,
});
type Case = typeof arbCase extends fc.Arbitrary<infer T> ? T : never;

// ---------------------------------------------------------------------------------------------
// Building a case
// ---------------------------------------------------------------------------------------------

interface Built {
  configuration: Configuration;
  calls: CallInput[];
  /** The nonce space the batch claims (the wallet's `execute` argument). */
  space: bigint;
  signature: Hex;
}

/** Turns a generated case into a configuration, a batch and its signature (undefined if the case is degenerate). */
function build(world: World, c: Case, wallet: Hex, now: bigint): Built | undefined {
  const targetOf = (i: number): Hex => {
    if (i < 8) return world.targets[i % world.targets.length];
    return i === 8 ? wallet : world.sessionsAddress;
  };
  const sessions = c.sessions.map((s) =>
    explicitSession({
      sessionSigner: SESSION_KEYS[s.key].address,
      chainId: s.chainId === "any" ? 0n : s.chainId === "here" ? world.chainId : world.chainId + 1n,
      deadline: s.expired ? 1_000n : FAR,
      grants: s.permissions.map((p): Permission => ({ target: targetOf(p.target), rules: p.rules })),
    }),
  );
  // valueLimit comes from the generated spec, not a grant: rebuild the leaf with it.
  const leaves: Leaf[] = sessions.map((s, i) => ({ ...s.leaf, valueLimit: c.sessions[i].valueLimit }));
  const withLimits = sessions.map((s, i) => ({ ...s, leaf: leaves[i] as typeof s.leaf }));
  const hashes = new Set(leaves.map((l) => JSON.stringify(l, (_, v) => (typeof v === "bigint" ? v.toString() : v))));
  if (hashes.size !== leaves.length) return undefined;

  const configuration = Configuration.of({
    threshold: 1n,
    checkpoint: 0n,
    leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }, { kind: "identity-signer", signer: IDENTITY.address as Hex }, ...leaves],
  });

  const calls: CallInput[] = [];
  const signers: SessionCallSigner[] = [];
  // Calls to be signed by a key that is not their session's (signSessionCalls refuses to): re-signed after.
  const wrongKeys = new Map<number, EthersWallet>();
  c.calls.forEach((spec, i) => {
    const args = spec.args.map((a) => a.toString(16).padStart(64, "0")).join("");
    const full = `${SELECTORS[spec.selector]}${args}`;
    const data = full.slice(0, Math.max(2, full.length - 2 * spec.truncate)) as Hex;
    const wrong = new EthersWallet(ethers.id(`parity-wrong/${i}`));
    if (spec.session < 0 || spec.session >= withLimits.length) {
      // Attested call to an app (or to a plain address that cannot accept).
      const issuedAt = spec.window === "future" ? now + 100_000n : spec.window === "expired" ? 1_000n : now - 100_000n;
      const approved = SESSION_KEYS[i % SESSION_KEYS.length];
      const signed = attest(IDENTITY, approved.address, spec.audience === "app" ? APP_ORIGIN : OTHER_ORIGIN, issuedAt, spec.window === "expired" ? 10n : 1_000_000n);
      const target = spec.target < 3 ? world.app : spec.target < 4 ? world.otherApp : targetOf(spec.target);
      // lib/payload refuses a delegate call with value (the wallet would too): keep it plain.
      calls.push({ target, data, value: spec.delegateCall ? 0n : spec.value, delegateCall: spec.delegateCall });
      signers.push({ ...signed, key: approved });
      if (spec.wrongKey) wrongKeys.set(i, wrong);
      return;
    }
    const session = withLimits[spec.session];
    const count = session.permissions.length;
    const permissionIndex = spec.permissionIndex < 0 ? count : spec.permissionIndex % Math.max(count, 1);
    // Mostly the permission's own target, so that the rules, not the target, decide most cases.
    const permission = session.permissions[permissionIndex];
    const target = permission !== undefined && spec.target < 4 ? permission.target : targetOf(spec.target);
    calls.push({ target, data, value: spec.delegateCall ? 0n : spec.value, delegateCall: spec.delegateCall });
    signers.push({ session, key: SESSION_KEYS[c.sessions[spec.session].key], permissionIndex });
    if (spec.wrongKey) wrongKeys.set(i, wrong);
  });

  // The signature is the same whatever the space (the space only enters the digest, random here):
  // sign for the batch's own space, then claim the generated one.
  const ownSpace = sessionBatchSpace(signers);
  const space =
    c.space.kind === "own" ? ownSpace : c.space.kind === "zero" ? 0n : c.space.kind === "key" ? sessionNonceSpace(SESSION_KEYS[c.space.key].address) : c.space.value;
  let signed = signSessionCalls({ configuration, calls, space: ownSpace, digest: c.digest, signers });
  // A signature that does not decode (a permission index past the end) fails in step 1 on both
  // sides, before any call signature is looked at: who signed, and which grant a call names, cannot matter.
  if (decodes(signed, calls.length)) {
    for (const [i, key] of wrongKeys) signed = resignCall(signed, calls.length, c.digest, i, key);
    if (c.corruption.kind === "reroute") signed = reroute(signed, calls.length, c.corruption.call, c.corruption.to);
  }
  const corruption = c.corruption;
  let signature = ethers.getBytes(signed);
  if (corruption.kind === "flip") {
    signature = signature.slice();
    signature[corruption.at % signature.length] ^= 1 << corruption.bit;
  } else if (corruption.kind === "truncate") {
    signature = signature.slice(0, Math.max(0, signature.length - corruption.by));
  } else if (corruption.kind === "append") {
    signature = Uint8Array.from([...signature, corruption.byte]);
  }
  return { configuration, calls, space, signature: ethers.hexlify(signature) as Hex };
}

function decodes(signature: Hex, callsLength: number): boolean {
  try {
    decodeSessionSignature(signature, callsLength);
    return true;
  } catch (error) {
    if (error instanceof SessionError) return false;
    throw error;
  }
}

/**
 * The signature with call `call` (modulo the count) pointed at another grant, keeping its call
 * signature: `to` even moves an explicit call to permission `to / 2 % 4` of its leaf, odd to leaf
 * `to >> 1` modulo the leaf count (maybe the identity leaf); an attested call goes to attestation
 * `to % (count + 1)`. Indices may land out of range or on the same grant: both sides must agree anyway.
 */
function reroute(signature: Hex, callsLength: number, call: number, to: number): Hex {
  const decoded = decodeSessionSignature(signature, callsLength);
  const index = call % callsLength;
  const auth = decoded.calls[index];
  const moved: CallAuthorisation =
    auth.kind === "explicit"
      ? to % 2 === 0
        ? { ...auth, permissionIndex: (to >> 1) % 4 }
        : { ...auth, leafIndex: (to >> 1) % decoded.leaves.length }
      : { ...auth, attestationIndex: to % (decoded.attestations.length + 1) };
  return encodeSessionSignature({ ...decoded, calls: decoded.calls.map((c, i) => (i === index ? moved : c)) });
}

// ---------------------------------------------------------------------------------------------
// Running both sides
// ---------------------------------------------------------------------------------------------

type Outcome = { ok: true; imageHash: string } | { ok: false; name: string; args: string[] };

function fromLibrary(result: CheckSessionCallsResult): Outcome {
  if (result.ok) return { ok: true, imageHash: result.imageHash };
  return { ok: false, name: result.error.code, args: result.error.args.map((a) => String(a).toLowerCase()) };
}

async function fromContract(world: World, built: Built, digest: Hex, wallet: Hex): Promise<Outcome> {
  try {
    // A provider-only instance: eth_call may then come `from` any address.
    const readOnly = world.sessions.connect(ethers.provider) as ArborSessions;
    const imageHash = await readOnly.validateSessionCalls.staticCall(contractCalls(built.calls), built.space, digest, built.signature, { from: wallet });
    return { ok: true, imageHash };
  } catch (error) {
    const data = (error as { data?: string }).data;
    if (typeof data !== "string") throw error;
    const parsed = world.sessions.interface.parseError(data);
    if (parsed === null) throw new Error(`unparsed revert data ${data}`);
    return { ok: false, name: parsed.name, args: parsed.args.map((a: unknown) => String(a).toLowerCase()) };
  }
}

async function libraryCheck(world: World, built: Built, digest: Hex, wallet: Hex, timestamp: bigint): Promise<CheckSessionCallsResult> {
  return checkSessionCalls({
    calls: built.calls,
    space: built.space,
    digest,
    signature: built.signature,
    wallet,
    sessions: world.sessionsAddress,
    chainId: world.chainId,
    timestamp,
    state: chainSessionState({ provider: ethers.provider, sessions: world.sessionsAddress, wallet }),
  });
}

describe("checkSessionCalls", () => {
  let world: World;
  const tally = { accepted: 0, rejected: new Map<string, number>() };

  before(async () => {
    const sessions = (await ethers.deployContract("ArborSessions")) as unknown as ArborSessions;
    const app = await ethers.deployContract("SessionTestApp", [[ethers.id(APP_ORIGIN)]]);
    const otherApp = await ethers.deployContract("SessionTestApp", [[ethers.id(OTHER_ORIGIN)]]);
    world = {
      sessions,
      sessionsAddress: (await sessions.getAddress()) as Hex,
      chainId: (await ethers.provider.getNetwork()).chainId,
      targets: keys(4, "parity-targets").map((k) => k.address as Hex),
      app: (await app.getAddress()) as Hex,
      otherApp: (await otherApp.getAddress()) as Hex,
    };
  });

  after(() => {
    // Not an assertion on speed or counts: shows which paths the random cases reached.
    const rejected = [...tally.rejected.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
    console.log(`      parity cases: ${tally.accepted} accepted; rejected: ${rejected.join(", ")}`);
  });

  describe("agreement with ArborSessions.validateSessionCalls", () => {
    it(`gives the contract's answer (its image hash, or its error and arguments) when given ${RUNS} random batches`, async () => {
      const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      await fc.assert(
        fc.asyncProperty(arbCase, fc.uint8Array({ minLength: 20, maxLength: 20 }), async (c, walletBytes) => {
          const wallet = ethers.getAddress(ethers.hexlify(walletBytes)) as Hex;
          const built = build(world, c, wallet, now);
          fc.pre(built !== undefined);
          const library = fromLibrary(await libraryCheck(world, built!, c.digest, wallet, now));
          const contract = await fromContract(world, built!, c.digest, wallet);
          expect(library).to.deep.equal(contract);
          if (library.ok) tally.accepted++;
          else tally.rejected.set(library.name, (tally.rejected.get(library.name) ?? 0) + 1);
        }),
        { numRuns: RUNS },
      );
    });

    it("gives the contract's answer when a first batch was mined and the blocklist changed (usage across transactions)", async () => {
      const [, relayer] = await ethers.getSigners();
      const wallet = relayer.address as Hex;
      await fc.assert(
        fc.asyncProperty(arbCase, arbCase, fc.subarray([0, 1, 2, 3, 4, 5, 6]), async (first, second, blockedPicks) => {
          const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
          // Same sessions for both batches, so the second sees the first's usage.
          // The first batch claims its own space, so it is mined whenever its calls pass.
          const a = build(world, { ...first, space: { kind: "own" }, corruption: { kind: "none" } }, wallet, now);
          const b = build(world, { ...second, sessions: first.sessions, corruption: { kind: "none" } }, wallet, now);
          fc.pre(a !== undefined && b !== undefined);
          const firstResult = await libraryCheck(world, a!, first.digest, wallet, now + 1n);
          if (firstResult.ok) {
            await (await world.sessions.connect(relayer).validateSessionCalls(contractCalls(a!.calls), a!.space, first.digest, a!.signature)).wait();
          }
          // A random blocklist for the second batch: session keys, the identity signer, targets, the app.
          const candidates = [...SESSION_KEYS.map((k) => k.address), IDENTITY.address, world.targets[0], world.targets[1], world.app];
          await (await world.sessions.connect(relayer).setBlocked(candidates, false)).wait();
          await (await world.sessions.connect(relayer).setBlocked(blockedPicks.map((i) => candidates[i]), true)).wait();
          const after = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
          const library = fromLibrary(await libraryCheck(world, b!, second.digest, wallet, after));
          const contract = await fromContract(world, b!, second.digest, wallet);
          expect(library).to.deep.equal(contract);
          if (library.ok) tally.accepted++;
          else tally.rejected.set(library.name, (tally.rejected.get(library.name) ?? 0) + 1);
        }),
        { numRuns: Math.max(20, Math.floor(RUNS / 10)) },
      );
    });
  });
});
