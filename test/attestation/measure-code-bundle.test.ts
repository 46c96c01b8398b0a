import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AttestationError, measureCodeBundle } from "../../lib/attestation";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(AttestationError);
  expect((caught as AttestationError).code).to.equal("invalid-argument");
  expect((caught as AttestationError).message).to.match(message);
}

describe("attestation", function () {
  describe("measureCodeBundle", function () {
    let dir: string;

    function write(relative: string, content: string | Uint8Array): string {
      const full = path.join(dir, relative);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
      return full;
    }

    beforeEach(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-measure-"));
      write("a.txt", "hello");
      write("dir/b.bin", new Uint8Array([0, 1, 2]));
      write("dir/sub/c", "");
    });

    afterEach(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("returns the frozen SHA-384 of the README construction for the reference bundle", function () {
      // Computed independently with Python: hashlib.sha384(b"arbor.code-bundle.v1\n" + for each path in
      // byte order: struct.pack(">Q", len(path)) + path + struct.pack(">Q", len(content)) + content).
      const measurement = measureCodeBundle(dir);
      expect(measurement.byteLength).to.equal(48);
      expect(hex(measurement)).to.equal("aa1b8438128c0824aafededed99191e53a5539b8568ddb2fcbd61206d6d5e141f91a8f06d45ffcaa994a8c0652aafcc3");
    });

    it("gives the same measurement for a directory and for the list of its files in any order", function () {
      const files = ["dir/sub/c", "a.txt", "dir/b.bin"].map((f) => path.join(dir, f));
      expect(hex(measureCodeBundle(files, { root: dir }))).to.equal(hex(measureCodeBundle(dir)));
      expect(hex(measureCodeBundle(files.slice().reverse(), { root: dir }))).to.equal(hex(measureCodeBundle(dir)));
    });

    it("uses the files' deepest common directory as root when none is given", function () {
      const files = ["dir/b.bin", "dir/sub/c"].map((f) => path.join(dir, f));
      expect(hex(measureCodeBundle(files))).to.equal(hex(measureCodeBundle(path.join(dir, "dir"))));
    });

    it("changes when a byte of a file, a file name, or the set of files changes", function () {
      const before = hex(measureCodeBundle(dir));
      write("a.txt", "hellO");
      const edited = hex(measureCodeBundle(dir));
      expect(edited).to.not.equal(before);
      write("a.txt", "hello");
      expect(hex(measureCodeBundle(dir))).to.equal(before);
      fs.renameSync(path.join(dir, "a.txt"), path.join(dir, "a2.txt"));
      expect(hex(measureCodeBundle(dir))).to.not.equal(before);
      fs.renameSync(path.join(dir, "a2.txt"), path.join(dir, "a.txt"));
      write("dir/new", "");
      expect(hex(measureCodeBundle(dir))).to.not.equal(before);
    });

    it("changes when bytes move between a file's name and its content (law: the encoding is injective)", function () {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      write("ab", "c");
      const first = hex(measureCodeBundle(dir));
      fs.rmSync(path.join(dir, "ab"));
      write("a", "bc");
      expect(hex(measureCodeBundle(dir))).to.not.equal(first);
    });

    it("throws invalid-argument when the bundle holds a symbolic link", function () {
      fs.symlinkSync(path.join(dir, "a.txt"), path.join(dir, "link"));
      expectInvalid(() => measureCodeBundle(dir), /neither a regular file nor a directory/);
    });

    it("throws invalid-argument when the bundle is empty, missing, or a file is outside the root or listed twice", function () {
      const empty = path.join(dir, "empty");
      fs.mkdirSync(empty);
      expectInvalid(() => measureCodeBundle(empty), /empty/);
      expectInvalid(() => measureCodeBundle([]), /empty/);
      expectInvalid(() => measureCodeBundle(path.join(dir, "missing")), /cannot be read/);
      expectInvalid(() => measureCodeBundle(path.join(dir, "a.txt")), /not a directory/);
      expectInvalid(() => measureCodeBundle([path.join(dir, "a.txt")], { root: path.join(dir, "dir") }), /not inside/);
      expectInvalid(() => measureCodeBundle([path.join(dir, "a.txt"), path.join(dir, "a.txt")], { root: dir }), /listed twice/);
      expectInvalid(() => measureCodeBundle([path.join(dir, "nope")], { root: dir }), /not a readable regular file/);
      expectInvalid(() => measureCodeBundle(42 as never), /directory path or an array/);
    });
  });
});
