/**
 * Errors a deployer meets. Every class has a literal `name` to narrow on, a stable `code` for
 * scripts, and carries the values needed to act on it (chain, address, hashes, amounts). Messages
 * say what to do next, because the person reading them is usually in the middle of a deployment.
 *
 * @example
 * try { await deployToChain({ target: url, plan }); }
 * catch (e) { if (e instanceof CodeMismatchError) console.error(e.address, e.actualCodeHash); }
 */
export abstract class DeployError extends Error {
  abstract readonly code: string;
}

/** The RPC endpoint did not answer a JSON-RPC request (refused, timed out, not JSON-RPC). */
export class RpcUnreachableError extends DeployError {
  readonly name = "RpcUnreachableError";
  readonly code = "RPC_UNREACHABLE";
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`RPC ${url} is unreachable: ${reason}. Check the URL and that the node is running.`, options);
  }
}

/** Neither a deployer key in the environment nor a funded unlocked account on the node. */
export class NoDeployerError extends DeployError {
  readonly name = "NoDeployerError";
  readonly code = "NO_DEPLOYER";
  constructor(
    readonly chainId: bigint,
    readonly variable: string,
  ) {
    super(
      `chain ${chainId}: no deployer account. Set ${variable} to a funded private key ` +
        `(the node exposes no funded unlocked account to fall back on).`,
    );
  }
}

/** The deployer key in the environment is not a 32-byte hex private key. The key is never echoed. */
export class InvalidDeployerKeyError extends DeployError {
  readonly name = "InvalidDeployerKeyError";
  readonly code = "INVALID_DEPLOYER_KEY";
  constructor(readonly variable: string) {
    super(`${variable} is not a private key: expected 32 bytes as 0x-prefixed hex (64 hex digits).`);
  }
}

/** The deployer cannot pay for what is missing on the chain. Checked before any transaction is sent. */
export class DeployerUnfundedError extends DeployError {
  readonly name = "DeployerUnfundedError";
  readonly code = "DEPLOYER_UNFUNDED";
  constructor(
    readonly chainId: bigint,
    readonly deployer: string,
    readonly balance: bigint,
    readonly required: bigint,
    readonly formatted: { balance: string; required: string },
  ) {
    super(
      `chain ${chainId}: deployer ${deployer} holds ${formatted.balance} ETH but this deployment needs ` +
        `about ${formatted.required} ETH. Fund the deployer (or point ARBOR_DEPLOYER_KEY at a funded key) and run again; ` +
        `nothing was sent.`,
    );
  }
}

/**
 * The presigned proxy deployment pays a fixed legacy gas price (100 gwei) and gas limit (100,000).
 * A chain whose base fee or minimum gas price is higher, or whose gas schedule charges more, can never
 * mine it: the signature fixes those fields forever.
 */
export class GasPriceModelError extends DeployError {
  readonly name = "GasPriceModelError";
  readonly code = "GAS_PRICE_MODEL";
  constructor(
    readonly chainId: bigint,
    readonly model: "eip-1559" | "legacy" | "gas-schedule",
    readonly chainPrice: bigint | undefined,
    readonly presignedPrice: bigint,
    readonly detail: string,
  ) {
    super(
      `chain ${chainId}: the presigned deployment of the deterministic deployment proxy cannot be mined here (${detail}). ` +
        `Its gas price (100 gwei) and gas limit (100000) are fixed by its signature. Ask the chain operator to ` +
        `pre-deploy the proxy at 0x4e59b44847b379578588920ca78fbf26c0b4956c (many chains ship it in genesis), ` +
        `or wait for a lower base fee, then run again: an existing proxy is detected and used.`,
    );
  }
}

/** The node refuses transactions without EIP-155 replay protection, and the proxy's presigned one has none. */
export class UnprotectedTransactionRejectedError extends DeployError {
  readonly name = "UnprotectedTransactionRejectedError";
  readonly code = "UNPROTECTED_TX_REJECTED";
  constructor(
    readonly chainId: bigint,
    readonly rpcMessage: string,
  ) {
    super(
      `chain ${chainId}: the RPC rejects pre-EIP-155 transactions ("${rpcMessage}"), and the deterministic deployment ` +
        `proxy can only be created by its presigned, chain-id-free transaction. Use a chain whose proxy already exists ` +
        `at 0x4e59b44847b379578588920ca78fbf26c0b4956c (ask the operator for a pre-deployed one), or submit the ` +
        `presigned transaction through a node that allows it (geth --rpc.allow-unprotected-txs), then run again. ` +
        `Nothing was sent.`,
    );
  }
}

/** Something other than the expected contract sits at an address this deployment needs. */
export class CodeMismatchError extends DeployError {
  readonly name = "CodeMismatchError";
  readonly code = "CODE_MISMATCH";
  constructor(
    readonly chainId: bigint,
    readonly contract: string,
    readonly address: string,
    readonly expectedCodeHash: string,
    readonly actualCodeHash: string,
  ) {
    super(
      `chain ${chainId}: ${address} should hold ${contract} (code hash ${expectedCodeHash}) but holds other code ` +
        `(code hash ${actualCodeHash}). Refusing to use it; nothing was sent.`,
    );
  }
}

/** The chain does not execute the opcodes of the EVM version the singletons are compiled for. */
export class EvmVersionUnsupportedError extends DeployError {
  readonly name = "EvmVersionUnsupportedError";
  readonly code = "EVM_VERSION_UNSUPPORTED";
  constructor(
    readonly chainId: bigint,
    readonly evmVersion: string,
    readonly rpcMessage: string,
  ) {
    super(
      `chain ${chainId} does not run ${evmVersion} bytecode (PUSH0/TSTORE/MCOPY probe failed: ${rpcMessage}). ` +
        `Arbor's singletons are compiled for ${evmVersion}; compiling for an older EVM would change every address, ` +
        `so deploy only to chains that activated ${evmVersion} (see deploy/README.md). Nothing was sent.`,
    );
  }
}

/** Creating the proxy failed for a reason other than the ones above. */
export class ProxyBootstrapError extends DeployError {
  readonly name = "ProxyBootstrapError";
  readonly code = "PROXY_BOOTSTRAP_FAILED";
  constructor(
    readonly chainId: bigint,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`chain ${chainId}: could not create the deterministic deployment proxy: ${reason}`, options);
  }
}

/** A deployment transaction was sent but did not leave the expected code at the expected address. */
export class DeploymentTransactionError extends DeployError {
  readonly name = "DeploymentTransactionError";
  readonly code = "DEPLOY_TX_FAILED";
  constructor(
    readonly chainId: bigint,
    readonly contract: string,
    readonly transactionHash: string | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `chain ${chainId}: deploying ${contract} failed${transactionHash ? ` (transaction ${transactionHash})` : ""}: ${reason}`,
      options,
    );
  }
}

/** A compiled artifact the singleton list names is not on disk. */
export class ArtifactNotFoundError extends DeployError {
  readonly name = "ArtifactNotFoundError";
  readonly code = "ARTIFACT_NOT_FOUND";
  constructor(
    readonly artifact: string,
    readonly where: string,
  ) {
    super(`artifact ${artifact} not found in ${where}. Run \`npx hardhat compile\` first.`);
  }
}

/**
 * An artifact was compiled with settings other than the pinned ones. Bytecode, and so every address,
 * depends on them, so such an artifact is never deployed.
 */
export class CompilerSettingsMismatchError extends DeployError {
  readonly name = "CompilerSettingsMismatchError";
  readonly code = "COMPILER_SETTINGS_MISMATCH";
  constructor(
    readonly artifact: string,
    readonly setting: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `artifact ${artifact} was compiled with ${setting} = ${actual}, but deployments are pinned to ${expected} ` +
        `(lib/deploy/compiler-pin.ts). Changing it moves every address; update the pin deliberately or recompile.`,
    );
  }
}

/** The singleton list itself is wrong: duplicate name, malformed salt, unknown or circular dependency. */
export class SingletonSpecError extends DeployError {
  readonly name = "SingletonSpecError";
  readonly code = "INVALID_SINGLETON";
  constructor(
    readonly singleton: string,
    readonly reason: string,
  ) {
    super(`singleton ${singleton}: ${reason}`);
  }
}

/** A manifest file is missing, unreadable, or describes another chain. */
export class ManifestError extends DeployError {
  readonly name = "ManifestError";
  readonly code = "INVALID_MANIFEST";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`manifest ${path}: ${reason}`);
  }
}

/** A command-line option is missing or malformed. */
export class InvalidOptionError extends DeployError {
  readonly name = "InvalidOptionError";
  readonly code = "INVALID_OPTION";
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`${option}: ${reason}`);
  }
}

/** solc reported errors while compiling sources for prediction or a reproducibility check. */
export class CompilationFailedError extends DeployError {
  readonly name = "CompilationFailedError";
  readonly code = "COMPILATION_FAILED";
  constructor(readonly messages: string[]) {
    super(`solc failed:\n${messages.join("\n")}`);
  }
}

/** An artifact was compiled from sources that have changed on disk since; deploying it would deploy old code. */
export class StaleArtifactError extends DeployError {
  readonly name = "StaleArtifactError";
  readonly code = "STALE_ARTIFACT";
  constructor(
    readonly artifact: string,
    readonly sourceName: string,
  ) {
    super(`artifact ${artifact} is stale: ${sourceName} changed since it was compiled. Run \`npx hardhat compile\` first.`);
  }
}

/**
 * `solc` is an optional peer dependency of the package (it is 8 MB and only the reproducibility
 * check, compileWithPinnedSolc, runs it): this says to install it, at the pinned version.
 */
export class SolcNotInstalledError extends DeployError {
  readonly name = "SolcNotInstalledError";
  readonly code = "SOLC_NOT_INSTALLED";
  constructor(readonly version: string, options?: { cause?: unknown }) {
    super(`compileWithPinnedSolc needs the solc package: npm install solc@${version}`, options);
  }
}
