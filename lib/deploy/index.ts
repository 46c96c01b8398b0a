// Deterministic multichain deployment of Arbor's singletons; see deploy/README.md.
export { assertCancun } from "./assert-evm-version";
export { compiledFromSolcOutput, type ArtifactSource, type CompiledContract, type ImmutableRange } from "./compiled-contract";
export { COMPILER_PIN, assertPinnedCompiler, type CompilerUsed } from "./compiler-pin";
export { compileWithPinnedSolc, type PinnedCompileOptions } from "./compile-with-pinned-solc";
export { connectChain, type ChainConnection, type ChainTarget } from "./connect-chain";
export { deployToChain, type ChainDeployment, type DeployToChainOptions } from "./deploy-to-chain";
export { DEPLOYMENT_PROXY, DEPLOYMENT_PROXY_CODE_HASH, DEPLOYMENT_PROXY_FUNDING, DEPLOYMENT_PROXY_TX_HASH } from "./deployment-proxy";
export { assertPresignedTransactionMinable, bootstrapDeploymentProxy, inspectDeploymentProxy } from "./deployment-proxy-on-chain";
export * from "./errors";
export { hardhatArtifacts } from "./hardhat-artifacts";
export { MANIFEST_FORMAT, manifestPath, readManifest, recordEntries, writeManifest, type Manifest, type ManifestEntry } from "./manifest";
export { planSingletons, type SingletonPlan } from "./plan-singletons";
export { DEPLOYER_KEY_VARIABLE, deployerKeyFromEnv, resolveDeployer, type Deployer } from "./resolve-deployer";
export { rpcErrorMessage } from "./rpc-error-message";
export { runtimeCodeHash } from "./runtime-code-hash";
export { ARBOR_SALT, ARBOR_SINGLETONS, type PredictedAddresses, type SingletonSpec } from "./singletons";
export { verifyChain, type ChainVerification, type VerifyFinding } from "./verify-chain";
export { waitForReceipt } from "./wait-for-receipt";
