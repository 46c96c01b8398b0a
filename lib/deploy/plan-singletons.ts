import { Interface, concat, getCreate2Address, isHexString, keccak256 } from "ethers";
import type { ArtifactSource, ImmutableRange } from "./compiled-contract";
import { assertPinnedCompiler } from "./compiler-pin";
import { DEPLOYMENT_PROXY } from "./deployment-proxy";
import { SingletonSpecError } from "./errors";
import type { PredictedAddresses, SingletonSpec } from "./singletons";

/** Everything about one singleton that follows from its spec and its bytecode alone, before any chain. */
export interface SingletonPlan {
  name: string;
  artifact: string;
  salt: string;
  /** ABI-encoded constructor arguments (0x when none). */
  constructorArgs: string;
  /** Creation code followed by the encoded constructor arguments: exactly what the proxy CREATE2s. */
  initCode: string;
  initCodeHash: string;
  /** keccak256(0xff ‖ proxy ‖ salt ‖ initCodeHash)[12:], checksummed. */
  address: string;
  /** keccak256 of the runtime code with immutables zeroed; see runtimeCodeHash. */
  expectedCodeHash: string;
  immutableRanges: ImmutableRange[];
}

/**
 * Computes every singleton's init code and address off-chain, in list order, feeding each one's
 * constructor the predicted addresses of those before it. Pure: no chain, no deployer, no clock.
 * Rejects artifacts not built with the pinned compiler, and specs whose constructor arguments are
 * malformed, depend on a later or unknown singleton, or are not the same on a second evaluation.
 *
 * @example
 * const plan = planSingletons(ARBOR_SINGLETONS, hardhatArtifacts("artifacts"));
 * console.log(plan.map((p) => `${p.name} ${p.address}`));
 */
export function planSingletons(specs: readonly SingletonSpec[], source: ArtifactSource): SingletonPlan[] {
  const addresses: Record<string, string> = {};
  const plans: SingletonPlan[] = [];
  for (const spec of specs) {
    if (typeof spec.name !== "string" || !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(spec.name)) {
      throw new SingletonSpecError(String(spec.name), "name must start with a letter and use only letters, digits, _ . -");
    }
    if (spec.name in addresses) throw new SingletonSpecError(spec.name, "listed twice");
    if (!isHexString(spec.salt, 32)) throw new SingletonSpecError(spec.name, `salt ${String(spec.salt)} is not 32 bytes of hex`);

    const compiled = source.read(spec.artifact);
    assertPinnedCompiler(spec.artifact, compiled.compiler);
    if (compiled.needsLinking) throw new SingletonSpecError(spec.name, "bytecode needs library linking; singletons must be self-contained");
    if (compiled.bytecode === "0x") throw new SingletonSpecError(spec.name, `${spec.artifact} has no bytecode (abstract contract or interface?)`);

    const encodedArgs = encodeConstructorArgs(spec, compiled.abi, addresses);
    // A constructor-argument function that reads anything but the predicted addresses (a clock, a
    // random value, an environment variable) would give a different address per run or per chain.
    if (encodeConstructorArgs(spec, compiled.abi, addresses) !== encodedArgs) {
      throw new SingletonSpecError(spec.name, "constructor arguments differ between two evaluations; they must depend only on predicted addresses");
    }

    const initCode = concat([compiled.bytecode, encodedArgs]);
    const initCodeHash = keccak256(initCode);
    const address = getCreate2Address(DEPLOYMENT_PROXY.address, spec.salt, initCodeHash);
    addresses[spec.name] = address;
    plans.push({
      name: spec.name,
      artifact: spec.artifact,
      salt: spec.salt.toLowerCase(),
      constructorArgs: encodedArgs,
      initCode,
      initCodeHash,
      address,
      expectedCodeHash: keccak256(compiled.deployedBytecode),
      immutableRanges: compiled.immutableRanges,
    });
  }
  return plans;
}

function encodeConstructorArgs(spec: SingletonSpec, abi: ConstructorParameters<typeof Interface>[0], known: Record<string, string>): string {
  // Only singletons listed earlier are visible; reading any other name is a mistake in the list.
  const visible: PredictedAddresses = new Proxy(Object.freeze({ ...known }), {
    get(target, key) {
      if (typeof key === "string" && !(key in target)) {
        throw new SingletonSpecError(spec.name, `constructor uses the address of "${key}", which is not a singleton listed before it`);
      }
      return Reflect.get(target, key);
    },
  });
  const args = spec.constructorArgs(visible);
  if (!Array.isArray(args)) throw new SingletonSpecError(spec.name, "constructorArgs must return an array");
  try {
    return new Interface(abi).encodeDeploy(args);
  } catch (e) {
    throw new SingletonSpecError(spec.name, `constructor arguments do not match the ABI: ${(e as Error).message}`);
  }
}
