/**
 * Library speed: Arbor's tree core against merkletreejs and @openzeppelin/merkle-tree, on the same
 * random leaf hashes, plus the keccak implementations installed. Every figure is the median of a
 * few runs (BENCH_RUNS, default 3), in wall time and in this process's CPU time: the machine is
 * shared, and CPU time is what the code costs when it does not have to wait for a core.
 *
 *     npx ts-node bench/library.ts
 *
 * The other libraries get the leaves padded as lib/configuration/ENCODING.md says (sorted, zero
 * words up to a power of two, prepared untimed), because only then do they build our tree:
 * `SimpleMerkleTree.of(padded)` and merkletreejs's default layout
 * `new MerkleTree(padded, keccak, { sortPairs, sortLeaves })`. Arbor gets the raw n leaves and
 * pads inside its build.
 *
 * What is measured, per library:
 * - build: from n hex leaf hashes to a root (n = 1k, 10k, 100k; for Arbor also 65,536 against
 *   65,537, the worst padding, m = 2n - 2);
 * - proofs: 1,000 single proofs (hex) from the 100k tree, random leaves;
 * - updates: replace one leaf hash and get the new root. Arbor moves the leaf to its new sorted
 *   slot and rehashes only the ancestors of the slots that moved, so a hash that keeps its slot
 *   costs one path and a random new hash, which moves about n/3 slots, about a third of a build;
 *   merkletreejs's updateLeaf rebuilds the whole tree; OpenZeppelin's tree is immutable, so an
 *   update is a rebuild. Where an operation takes seconds, fewer than 1,000 are run and the
 *   1,000-op figure is extrapolated from the measured per-op time (marked with *).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { keccak256 as ethersKeccak256 } from "ethers";
import { keccak_256, keccakP } from "@noble/hashes/sha3.js";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { getProof, makeTree, replaceLeafInPlace, treeLeaf, treeRoot, type MerkleTree as ArborTree } from "../lib/configuration/tree";
import { createKeccak, type IHasher } from "hash-wasm";
import { hashPairInto, hashPairIntoNoble, keccakReady } from "../lib/keccak";
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
  /** Median CPU time (user + system) of this process over the same runs. */
  cpuMs: number;
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

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Median wall and CPU time in ms of `fn` over `runs` runs; `setup` runs untimed before each. */
function time<T>(fn: (state: T) => void, setup: () => T, runs = RUNS): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const state = setup();
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    fn(state);
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

function row(task: string, library: string, leaves: number, ops: number, timing: Timing, note?: string, per1000?: boolean): Row {
  const perOpUs = (timing.wallMs * 1000) / ops;
  return { task, library, leaves, ops, medianMs: timing.wallMs, cpuMs: timing.cpuMs, perOpUs, per1000Ms: per1000 ? perOpUs : undefined, note };
}

const keccakBuffer = (data: Buffer): Buffer => Buffer.from(keccak_256(data));
// The hash function merkletreejs's README uses; installed here only as a transitive dependency.
const keccak256Package = optional<(data: Buffer) => Buffer>("keccak256");
const randomHex = (): Hex => `0x${randomBytes(32).toString("hex")}`;

const ZERO: Hex = `0x${"00".repeat(32)}`;

/** The spec's padded leaf list: sorted, preceded by zero words up to the next power of two. */
function padded(leaves: readonly Hex[]): Hex[] {
  let m = 1;
  while (m < leaves.length) m *= 2;
  return [...Array.from({ length: m - leaves.length }, () => ZERO), ...leaves.slice().sort()];
}

/** merkletreejs's default layout over padded leaves: our tree (see the interop notes). */
function merkletreejs(paddedLeaves: readonly string[], hashFn: (data: Buffer) => Buffer = keccakBuffer): MerkleTree {
  return new MerkleTree(paddedLeaves as string[], hashFn, { sortPairs: true, sortLeaves: true });
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
  measure("arbor hashPairInto (noble)", (i) => hashPairIntoNoble(input, (i & 1023) * 64, input, (i & 1023) * 64 + 32, out, (i & 1023) * 32), "audited noble, one reused hasher, sorted pair: the library's path");
  const state = new Uint32Array(50);
  measure("@noble/hashes keccakP alone", () => keccakP(state, 24), "permutation only, not a hash: the floor of any noble-based build");
  measure("ethers keccak256", (i) => ethersKeccak256(slice(i)), "noble v1 inside, hex string output");
  const jsSha3 = optional<{ keccak256: { arrayBuffer(data: Uint8Array): ArrayBuffer } }>("js-sha3");
  if (jsSha3) measure("js-sha3 keccak256", (i) => jsSha3.keccak256.arrayBuffer(slice(i)), "pure JS, unaudited, transitive; not used");
  // Buffer views made once, so the native rows time the hash, not a copy per call.
  const views = Array.from({ length: 1024 }, (_, j) => Buffer.from(input.buffer, input.byteOffset + j * 64, 64));
  const createKeccak = optional<(alg: string) => { update(b: Buffer): { digest(): Buffer } }>("keccak");
  if (createKeccak) {
    measure("keccak package (native, stream wrapper)", (i) => createKeccak("keccak256").update(views[i & 1023]).digest(), "a readable-stream Transform per hash around the binding; unaudited, transitive via hardhat; not used");
  }
  const binding = nativeKeccakState();
  if (binding) {
    // The N-API KeccakState itself, one reused state: what the wrapper costs subtracted.
    const state = new binding();
    measure("keccak native binding (XKCP KeccakState)", (i) => {
      state.initialize(1088, 512);
      state.absorb(views[i & 1023]);
      state.absorbLastFewBits(0x01);
      out.set(state.squeeze(32), (i & 1023) * 32);
    }, "N-API binding alone, reused state; unaudited, transitive via hardhat; not used");
  }
  if (wasmHasher) {
    const hasher = wasmHasher;
    measure("hash-wasm keccak 256", (i) => out.set(hasher.init().update(slice(i)).digest("binary"), (i & 1023) * 32), "WebAssembly, reused hasher");
    measure("arbor hashPairInto (hash-wasm)", (i) => hashPairInto(input, (i & 1023) * 64, input, (i & 1023) * 64 + 32, out, (i & 1023) * 32), "sorted pair: the library's tree path once hash-wasm has loaded");
  }
  return rows;
}

/** The `keccak` package's N-API binding, without its stream wrapper (if the prebuilt loads). */
function nativeKeccakState():
  | (new () => { initialize(rate: number, capacity: number): void; absorb(b: Buffer): void; absorbLastFewBits(bits: number): void; squeeze(n: number): Buffer })
  | undefined {
  try {
    const dir = path.dirname(require.resolve("keccak/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("node-gyp-build")(dir);
  } catch {
    return undefined;
  }
}

let wasmHasher: IHasher | undefined;

/** A transitive dependency, if installed: only measured, never used by the library. */
function optional<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/**
 * Runs every library benchmark and returns the rows (also used by bench/bench.ts).
 *
 * @example
 * const rows = await runLibraryBench();
 * printLibraryTable(rows);
 */
export async function runLibraryBench(): Promise<Row[]> {
  // Tree building uses hash-wasm once it has loaded: wait for it, so every Arbor row below is the
  // hash-wasm path (the noble path is the "hashPairInto (noble)" keccak row).
  const backend = await keccakReady();
  wasmHasher = await createKeccak(256);
  const rows: Row[] = [...keccakRows()];
  const all: Hex[] = Array.from({ length: 100_000 }, randomHex);

  // Build. Roots checked equal first: a benchmark of trees that differ would compare nothing.
  for (const n of [1_000, 10_000, 100_000]) {
    const leaves = all.slice(0, n);
    const pad = padded(leaves);
    const roots = new Set([treeRoot(makeTree(leaves)), SimpleMerkleTree.of(pad).root, merkletreejs(pad).getHexRoot()]);
    if (roots.size !== 1) throw new Error(`Arbor, OpenZeppelin and merkletreejs disagree on the root of ${n} leaves`);
    const padNote = `given ${pad.length.toLocaleString("en-US")} padded leaves`;
    rows.push(row("build", "arbor", n, 1, time(() => void makeTree(leaves), () => undefined), `hex input, pads to ${pad.length.toLocaleString("en-US")} inside; keccak: ${backend}`));
    rows.push(row("build", "@openzeppelin/merkle-tree", n, 1, time(() => void SimpleMerkleTree.of(pad), () => undefined), padNote));
    rows.push(row("build", "merkletreejs", n, 1, time(() => void merkletreejs(pad), () => undefined), `${padNote}; hashFn: noble keccak_256`));
    // Same hash function as Arbor's tree path, so the row compares the tree code alone.
    const hasher = wasmHasher;
    const wasmHashFn = (data: Buffer): Buffer => Buffer.from(hasher.init().update(data).digest("binary"));
    rows.push(row("build", "merkletreejs", n, 1, time(() => void merkletreejs(pad, wasmHashFn), () => undefined), `${padNote}; hashFn: hash-wasm keccak (as Arbor's)`));
    if (keccak256Package) {
      const hashFn = keccak256Package;
      rows.push(row("build", "merkletreejs", n, 1, time(() => void merkletreejs(pad, hashFn), () => undefined), `${padNote}; hashFn: keccak256 package (its README)`));
    }
  }
  // Padding cost: one leaf more than a power of two doubles m but adds one hash per level.
  for (const n of [65_536, 65_537]) {
    const leaves = all.slice(0, n);
    rows.push(row("build", "arbor", n, 1, time(() => void makeTree(leaves), () => undefined), `m = ${padded(leaves).length.toLocaleString("en-US")}: padding cost`));
  }
  const flat = new Uint8Array(Buffer.concat(all.map((h) => Buffer.from(h.slice(2), "hex"))));
  rows.push(row("build", "arbor", 100_000, 1, time(() => void makeTree(flat), () => undefined), "flat bytes input (no hex decoding)"));

  // 1,000 proofs from the 100k tree, of real leaves only (sorted position k is padded index m - n + k).
  const big = makeTree(all);
  const bigPadded = padded(all);
  const offset = bigPadded.length - all.length;
  const oz = SimpleMerkleTree.of(bigPadded);
  const mt = merkletreejs(bigPadded);
  const picks = Array.from({ length: 1000 }, () => Math.floor(Math.random() * all.length));
  rows.push(row("1,000 proofs", "arbor", 100_000, 1000, time(() => picks.forEach((k) => getProof(big, k)), () => undefined), "by sorted position"));
  rows.push(
    row("1,000 proofs", "@openzeppelin/merkle-tree", 100_000, 1000, time(() => picks.forEach((k) => oz.getProof(offset + k)), () => undefined), "by input index, padded tree"),
  );
  const mtLeaves = mt.getHexLeaves();
  rows.push(
    row("1,000 proofs", "merkletreejs", 100_000, 1000, time(() => picks.forEach((k) => mt.getHexProof(mtLeaves[offset + k], offset + k)), () => undefined), "by sorted index (no linear search), padded tree"),
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
    // A random new hash moves its leaf about n/3 slots on average: seconds per 1,000, so fewer are
    // timed and the 1,000 figure is extrapolated.
    const moves = n === 100_000 ? 20 : 100;
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
    const pad = padded(leaves);
    const firstReal = pad.length - n;
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
          const next = pad.slice();
          next[firstReal + i] = randomHex();
          SimpleMerkleTree.of(next);
        }
      }, () => undefined, 1), "immutable: rebuild per update, padded leaves", true),
    );
    const mtTree = merkletreejs(pad);
    rows.push(
      row("1,000 updates, random new hash", "merkletreejs", n, rebuilds, time(() => {
        for (let i = 0; i < rebuilds; i++) mtTree.updateLeaf(firstReal + i, Buffer.from(randomHex().slice(2), "hex"));
      }, () => undefined, 1), "updateLeaf rebuilds the tree; a real (not padding) leaf", true),
    );
  }
  return rows;
}

/** Prints the rows as a table. */
export function printLibraryTable(rows: Row[]): void {
  const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
  const lines = [["task", "library", "leaves", "ops timed", "median ms", "cpu ms", "per op µs", "1,000 ops ms", "note"]];
  for (const r of rows) {
    const per1000 = r.per1000Ms !== undefined ? `${fmt(r.per1000Ms)}*` : r.ops === 1000 ? fmt(r.medianMs) : "";
    lines.push([r.task, r.library, r.leaves ? r.leaves.toLocaleString("en-US") : "", String(r.ops), fmt(r.medianMs), fmt(r.cpuMs), r.perOpUs.toFixed(2), per1000, r.note ?? ""]);
  }
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((cell, c) => cell.padEnd(widths[c])).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  console.log(`\nmedian of ${RUNS} runs (rebuild-per-update rows: 1 run); median ms = wall time, cpu ms = this process's CPU time;`);
  console.log(`* = extrapolated from the per-op time; load average during the run: ${os.loadavg().map((l) => l.toFixed(2)).join(", ")} on ${os.cpus().length} CPUs`);
}

if (require.main === module) {
  runLibraryBench().then(printLibraryTable, (err) => {
    console.error(err);
    process.exit(1);
  });
}
