/**
 * Library speed: Arbor's tree core against merkletreejs and @openzeppelin/merkle-tree, on the same
 * random leaf hashes, plus the keccak implementations installed. Every figure is the median of a
 * few runs (BENCH_RUNS, default 3).
 *
 *     npx ts-node bench/library.ts
 *
 * What is measured, per library:
 * - build: from n hex leaf hashes to a root (n = 1k, 10k, 100k);
 * - proofs: 1,000 single proofs (hex) from the 100k tree, random leaves;
 * - updates: replace one leaf hash and get the new root. Arbor moves the leaf to its new sorted
 *   slot and rehashes only the ancestors of the slots that moved, so a hash that keeps its slot
 *   costs one path and a random new hash costs about two thirds of a build on average;
 *   merkletreejs's updateLeaf rebuilds the whole tree; OpenZeppelin's tree is immutable, so an
 *   update is a rebuild. Where an operation takes seconds, fewer than 1,000 are run and the
 *   1,000-op figure is extrapolated from the measured per-op time (marked with *).
 */
import { randomBytes } from "node:crypto";
import { keccak256 as ethersKeccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { getProof, makeTree, replaceLeafInPlace, treeLeaf, treeRoot, type MerkleTree as ArborTree } from "../lib/configuration/tree";
import { hashPairInto } from "../lib/keccak";
import type { Hex } from "../lib/hex";

/** One measured figure. */
export interface Row {
  task: string;
  library: string;
  /** Leaves in the tree the task runs on. */
  leaves: number;
  /** Operations actually timed per run. */
  ops: number;
  medianMs: number;
  perOpUs: number;
  /** Time for 1,000 operations (measured, or extrapolated from perOpUs when ops < 1,000). */
  per1000Ms?: number;
  note?: string;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time in ms of `fn` over `runs` runs; `setup` runs untimed before each. */
function time<T>(fn: (state: T) => void, setup: () => T, runs = RUNS): number {
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const state = setup();
    const start = process.hrtime.bigint();
    fn(state);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function row(task: string, library: string, leaves: number, ops: number, medianMs: number, note?: string, per1000?: boolean): Row {
  const perOpUs = (medianMs * 1000) / ops;
  return { task, library, leaves, ops, medianMs, perOpUs, per1000Ms: per1000 ? perOpUs : undefined, note };
}

const keccakBuffer = (data: Buffer): Buffer => Buffer.from(keccak_256(data));
// The hash function merkletreejs's README uses; installed here only as a transitive dependency.
const keccak256Package: ((data: Buffer) => Buffer) | undefined = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("keccak256") as (data: Buffer) => Buffer;
  } catch {
    return undefined;
  }
})();
const randomHex = (): Hex => `0x${randomBytes(32).toString("hex")}`;

function merkletreejs(leaves: readonly string[]): MerkleTree {
  return new MerkleTree(leaves as string[], keccakBuffer, { sortPairs: true, sortLeaves: true, complete: true });
}

function keccakRows(): Row[] {
  const n = 100_000;
  const input = new Uint8Array(64 * 1024);
  for (let i = 0; i < input.length; i++) input[i] = (i * 131) & 0xff;
  const out = new Uint8Array(32 * 1024);
  const rows: Row[] = [];
  const measure = (library: string, f: (i: number) => void, note?: string) => {
    for (let i = 0; i < 5000; i++) f(i); // warm up the JIT
    rows.push(row("keccak256 of 64 bytes", library, 0, n, time(() => { for (let i = 0; i < n; i++) f(i); }, () => undefined), note));
  };
  const slice = (i: number) => input.subarray((i & 1023) * 64, (i & 1023) * 64 + 64);
  measure("@noble/hashes keccak_256", (i) => out.set(keccak_256(slice(i)), (i & 1023) * 32), "audited; fresh hasher per call");
  measure("arbor hashPairInto (noble)", (i) => hashPairInto(input, (i & 1023) * 64, input, (i & 1023) * 64 + 32, out, (i & 1023) * 32), "noble, one reused hasher, sorted pair");
  measure("ethers keccak256", (i) => ethersKeccak256(slice(i)), "hex string output");
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const createKeccak = require("keccak") as (alg: string) => { update(b: Buffer): { digest(): Buffer } };
    measure("keccak (native, via hardhat)", (i) => createKeccak("keccak256").update(Buffer.from(slice(i))).digest(), "native XKCP binding; transitive, not used");
  } catch {
    // Not installed: nothing to compare.
  }
  return rows;
}

/**
 * Runs every library benchmark and returns the rows (also used by bench/bench.ts).
 *
 * @example
 * const rows = await runLibraryBench();
 * printLibraryTable(rows);
 */
export async function runLibraryBench(): Promise<Row[]> {
  const rows: Row[] = [...keccakRows()];
  const all: Hex[] = Array.from({ length: 100_000 }, randomHex);

  // Build.
  for (const n of [1_000, 10_000, 100_000]) {
    const leaves = all.slice(0, n);
    const roots = new Set([treeRoot(makeTree(leaves)), SimpleMerkleTree.of(leaves).root]);
    if (roots.size !== 1) throw new Error("Arbor and OpenZeppelin disagree on the root");
    rows.push(row("build", "arbor", n, 1, time(() => void makeTree(leaves), () => undefined)));
    rows.push(row("build", "@openzeppelin/merkle-tree", n, 1, time(() => void SimpleMerkleTree.of(leaves), () => undefined)));
    rows.push(row("build", "merkletreejs", n, 1, time(() => void merkletreejs(leaves), () => undefined), "hashFn: noble keccak_256"));
    if (keccak256Package) {
      const hashFn = keccak256Package;
      const build = () => void new MerkleTree(leaves, hashFn, { sortPairs: true, sortLeaves: true, complete: true });
      rows.push(row("build", "merkletreejs", n, 1, time(build, () => undefined), "hashFn: keccak256 package (its README)"));
    }
  }

  // 1,000 proofs from the 100k tree.
  const big = makeTree(all);
  const oz = SimpleMerkleTree.of(all);
  const mt = merkletreejs(all);
  const picks = Array.from({ length: 1000 }, () => Math.floor(Math.random() * all.length));
  rows.push(row("1,000 proofs", "arbor", 100_000, 1000, time(() => picks.forEach((k) => getProof(big, k)), () => undefined)));
  rows.push(row("1,000 proofs", "@openzeppelin/merkle-tree", 100_000, 1000, time(() => picks.forEach((k) => oz.getProof(k)), () => undefined), "by input index"));
  const mtLeaves = mt.getHexLeaves();
  rows.push(
    row("1,000 proofs", "merkletreejs", 100_000, 1000, time(() => picks.forEach((k) => mt.getHexProof(mtLeaves[k], k)), () => undefined), "by sorted index (no linear search)"),
  );

  // One-leaf updates.
  const copy = (t: ArborTree): ArborTree => ({ nodes: t.nodes.slice(), leafCount: t.leafCount });
  for (const n of [10_000, 100_000]) {
    const base = makeTree(all.slice(0, n));
    // A replacement that keeps the sort position: same leaf with its last byte changed (random
    // 256-bit neighbours are ~2^239 apart, so it stays between them).
    const samePosition = Array.from({ length: 1000 }, () => {
      const k = Math.floor(Math.random() * n);
      const leaf = treeLeaf(base, k);
      return { k, hash: `${leaf.slice(0, 64)}${leaf.slice(64) === "00" ? "01" : "00"}` as Hex };
    });
    rows.push(
      row("1,000 updates, leaf keeps its slot", "arbor", n, 1000, time((t) => samePosition.forEach(({ k, hash }) => replaceLeafInPlace(t, k, hash)), () => copy(base)), "path rehash only"),
    );
    const moves = n === 100_000 ? 20 : 1000;
    const randomUpdates = Array.from({ length: moves }, () => ({ k: Math.floor(Math.random() * n), hash: randomHex() }));
    rows.push(
      row(
        "1,000 updates, random new hash",
        "arbor",
        n,
        moves,
        time((t) => randomUpdates.forEach(({ k, hash }) => replaceLeafInPlace(t, k, hash)), () => copy(base)),
        "leaf moves; rehash moved slots' ancestors",
        moves < 1000,
      ),
    );
    const rebuilds = n === 100_000 ? 1 : 10;
    const leaves = all.slice(0, n);
    rows.push(
      row("1,000 updates, random new hash", "arbor rebuild", n, rebuilds, time(() => {
        for (let i = 0; i < rebuilds; i++) {
          const next = leaves.slice();
          next[i] = randomHex();
          makeTree(next);
        }
      }, () => undefined), "full rebuild, for reference", true),
    );
    rows.push(
      row("1,000 updates, random new hash", "@openzeppelin/merkle-tree", n, rebuilds, time(() => {
        for (let i = 0; i < rebuilds; i++) {
          const next = leaves.slice();
          next[i] = randomHex();
          SimpleMerkleTree.of(next);
        }
      }, () => undefined, 1), "immutable: rebuild per update", true),
    );
    const mtTree = merkletreejs(leaves);
    rows.push(
      row("1,000 updates, random new hash", "merkletreejs", n, rebuilds, time(() => {
        for (let i = 0; i < rebuilds; i++) mtTree.updateLeaf(i, Buffer.from(randomHex().slice(2), "hex"));
      }, () => undefined, 1), "updateLeaf rebuilds the tree", true),
    );
  }
  return rows;
}

/** Prints the rows as a table. */
export function printLibraryTable(rows: Row[]): void {
  const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
  const lines = [["task", "library", "leaves", "ops timed", "median ms", "per op µs", "1,000 ops ms", "note"]];
  for (const r of rows) {
    const per1000 = r.per1000Ms !== undefined ? `${fmt(r.per1000Ms)}*` : r.ops === 1000 ? fmt(r.medianMs) : "";
    lines.push([r.task, r.library, r.leaves ? r.leaves.toLocaleString("en-US") : "", String(r.ops), fmt(r.medianMs), r.perOpUs.toFixed(2), per1000, r.note ?? ""]);
  }
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((cell, c) => cell.padEnd(widths[c])).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log(`\nmedian of ${RUNS} runs (rebuild-per-update rows: 1 run); * = extrapolated from the per-op time`);
}

if (require.main === module) {
  runLibraryBench().then(printLibraryTable, (err) => {
    console.error(err);
    process.exit(1);
  });
}
