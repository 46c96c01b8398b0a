/** ERC-6492: signatures of wallets that are not deployed, or not up to date, yet; and their off-chain verification. */
export * from "./erc6492-error";
export * from "./wrap-signature";
export * from "./unwrap-signature";
export * from "./wrap-arbor-signature";
export * from "./verify-erc6492-signature";
export { ERC6492_VERIFIER_BYTECODE } from "./erc6492-verifier-bytecode";
