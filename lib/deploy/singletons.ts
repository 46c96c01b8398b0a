import { id } from "ethers";
import { CANONICAL_ENTRY_POINT_V08 } from "../userop/entry-point";

/** Addresses of the singletons planned so far, by name. Frozen; only earlier entries are present. */
export type PredictedAddresses = Readonly<Record<string, string>>;

/**
 * One contract that must exist exactly once, at the same address, on every chain.
 *
 * Its constructor arguments are computed only from other singletons' predicted addresses (and
 * constants written here): nothing about the chain, the deployer or the time may reach them, because
 * they are part of the init code and so of the address.
 */
export interface SingletonSpec {
  /** Short unique name, used in manifests and tables. */
  name: string;
  /** Fully qualified artifact, "<source>:<contract>". */
  artifact: string;
  /** CREATE2 salt, 32 bytes hex. Bump it only to deploy a second copy of identical bytecode. */
  salt: string;
  /** Constructor arguments, in ABI order, from the addresses of singletons listed before this one. */
  constructorArgs: (addresses: PredictedAddresses) => unknown[];
}

/**
 * The salt of every Arbor singleton: keccak256("arbor.singleton.v1"). One salt is enough because the
 * singletons' init codes differ; a per-entry salt exists so a later issue can deploy a copy.
 */
export const ARBOR_SALT = id("arbor.singleton.v1");

/**
 * Every Arbor singleton, in deployment order (a singleton may only use addresses of those above it).
 * Later issues add their modules here: one entry each, e.g.
 *
 * @example
 * { name: "SessionModule", artifact: "contracts/sessions/SessionModule.sol:SessionModule",
 *   salt: ARBOR_SALT, constructorArgs: (a) => [a.ArborFactory] },
 */
export const ARBOR_SINGLETONS: readonly SingletonSpec[] = [
  {
    name: "ArborFactory",
    artifact: "contracts/factory/ArborFactory.sol:ArborFactory",
    salt: ARBOR_SALT,
    constructorArgs: () => [],
  },
  {
    name: "ArborSessions",
    artifact: "contracts/sessions/ArborSessions.sol:ArborSessions",
    salt: ARBOR_SALT,
    constructorArgs: () => [],
  },
  {
    name: "ArborWallet",
    artifact: "contracts/wallet/ArborWallet.sol:ArborWallet",
    salt: ARBOR_SALT,
    // The implementation pins its factory (to recognise its own counterfactual proxies) and the
    // sessions module it delegates session-signed batches to, and trusts the canonical ERC-4337
    // EntryPoint v0.8 (the same address on every chain) to validate and run UserOps.
    constructorArgs: (a) => [a.ArborFactory, a.ArborSessions, CANONICAL_ENTRY_POINT_V08],
  },
];
