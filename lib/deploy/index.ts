// Deterministic multichain deployment of Arbor's singletons; see deploy/README.md.
export { assertCancun } from "./assertEvmVersion";
export { compiledFromSolcOutput, type ArtifactSource, type CompiledContract, type ImmutableRange } from "./compiledContract";
export { COMPILER_PIN, assertPinnedCompiler, type CompilerUsed } from "./compilerPin";
export { compileWithPinnedSolc, type PinnedCompileOptions } from "./compileWithPinnedSolc";
export { connectChain, type ChainConnection, type ChainTarget } from "./connectChain";
export { deployToChain, type ChainDeployment, type DeployToChainOptions } from "./deployToChain";
export { DEPLOYMENT_PROXY, DEPLOYMENT_PROXY_CODE_HASH, DEPLOYMENT_PROXY_FUNDING, DEPLOYMENT_PROXY_TX_HASH } from "./deploymentProxy";
export { assertPresignedTransactionMinable, bootstrapDeploymentProxy, inspectDeploymentProxy } from "./deploymentProxyOnChain";
export * from "./errors";
export { hardhatArtifacts } from "./hardhatArtifacts";
export { MANIFEST_FORMAT, manifestPath, readManifest, recordEntries, writeManifest, type Manifest, type ManifestEntry } from "./manifest";
export { planSingletons, type SingletonPlan } from "./planSingletons";
export { DEPLOYER_KEY_VARIABLE, deployerKeyFromEnv, resolveDeployer, type Deployer } from "./resolveDeployer";
export { rpcErrorMessage } from "./rpcErrorMessage";
export { runtimeCodeHash } from "./runtimeCodeHash";
export { ARBOR_SALT, ARBOR_SINGLETONS, type PredictedAddresses, type SingletonSpec } from "./singletons";
export { verifyChain, type ChainVerification, type VerifyFinding } from "./verifyChain";
export { waitForReceipt } from "./waitForReceipt";
