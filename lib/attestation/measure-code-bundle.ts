import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { AttestationError } from "./errors";

/** Domain tag of the measurement, so it can never equal a hash of anything else. */
const MEASUREMENT_TAG = "arbor.code-bundle.v1\n";

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): AttestationError {
  return new AttestationError("invalid-argument", message, { field: "files", ...details }, cause);
}

function u64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

function walk(directory: string, found: string[]): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) walk(full, found);
    else if (entry.isFile()) found.push(full);
    // A symlink or device could make the measurement depend on something outside the bundle.
    else throw invalid(`${full} is neither a regular file nor a directory`, { path: full });
  }
}

/** Whether `full` lies strictly below `root` (both absolute). */
function isInside(root: string, full: string): boolean {
  const relative = path.relative(root, full);
  return relative !== "" && relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function commonDirectory(files: string[]): string {
  let base = path.dirname(files[0]);
  for (const file of files) {
    while (!isInside(base, file) && path.dirname(base) !== base) base = path.dirname(base);
  }
  return base;
}

/**
 * The measurement that stands in for PCR0 when there is no Nitro hardware: 48 bytes of
 *
 *     SHA-384("arbor.code-bundle.v1\n" ‖ for each file, in ascending byte order of its path:
 *               u64be(len(path)) ‖ path ‖ u64be(len(content)) ‖ content)
 *
 * where `path` is the file's UTF-8 path relative to the bundle root with "/" separators. Given a
 * directory, the bundle is every regular file below it (symlinks and other special files are
 * refused); given a list of files, the root is `options.root` or else their deepest common
 * directory. Length prefixes make the encoding injective: moving bytes between a name and a
 * content, or between files, changes the measurement. See README.md "Code measurement".
 *
 * @throws AttestationError `invalid-argument` for an empty bundle, an unreadable or special file,
 * a file outside the root, or the same file twice.
 *
 * @example
 * const pcr0 = measureCodeBundle(path.join(repoRoot, "enclave-service"));
 * createAttestationDocument({ ..., pcrs: { 0: pcr0 } });
 */
export function measureCodeBundle(files: string | string[], options: { root?: string } = {}): Uint8Array {
  let root: string;
  let list: string[];
  if (typeof files === "string") {
    root = path.resolve(files);
    let isDirectory = false;
    try {
      isDirectory = lstatSync(root).isDirectory();
    } catch (cause) {
      throw invalid(`${root} cannot be read`, { path: root }, cause);
    }
    if (!isDirectory) throw invalid(`${root} is not a directory (pass a list to measure single files)`, { path: root });
    list = [];
    walk(root, list);
  } else if (Array.isArray(files)) {
    if (files.some((f) => typeof f !== "string")) throw invalid("every entry must be a path", {});
    list = files.map((f) => path.resolve(f));
    root = options.root !== undefined ? path.resolve(options.root) : list.length > 0 ? commonDirectory(list) : "";
  } else {
    throw invalid("files must be a directory path or an array of file paths", {});
  }
  if (list.length === 0) throw invalid("the code bundle is empty", { root });

  const entries = list.map((full) => {
    if (!isInside(root, full)) throw invalid(`${full} is not inside ${root}`, { path: full, root });
    return { full, name: Buffer.from(path.relative(root, full).split(path.sep).join("/"), "utf8") };
  });
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const hash = createHash("sha384").update(MEASUREMENT_TAG);
  for (let i = 0; i < entries.length; i++) {
    const { full, name } = entries[i];
    if (i > 0 && Buffer.compare(entries[i - 1].name, name) === 0) throw invalid(`${name.toString()} is listed twice`, { path: full });
    let content: Buffer;
    try {
      if (!lstatSync(full).isFile()) throw new Error("not a regular file");
      content = readFileSync(full);
    } catch (cause) {
      throw invalid(`${full} is not a readable regular file`, { path: full }, cause);
    }
    hash.update(u64(name.length)).update(name).update(u64(content.length)).update(content);
  }
  return new Uint8Array(hash.digest());
}
