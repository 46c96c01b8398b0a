/** ERC-4337 v0.8 user operations: pack, hash, sign, submit; EntryPoint v0.8 at its canonical address. */
export * from "./types";
export * from "./errors";
export * from "./pack-user-operation";
export * from "./user-operation-hash";
export * from "./entry-point";
export * from "./bundler";
export * from "./arbor-init-code";
export * from "./check-validation-rules";
export * from "./arbor-user-operation";
