import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { AttestationError, responseBinding, type ResponseBindingInput } from "../../lib/attestation";

const RUNS = Number(process.env.ARBOR_PROPERTY_RUNS ?? 200);
const base: ResponseBindingInput = { method: "POST", path: "/v1/auth?x=1", requestBody: '{"email":"a@b.c"}', status: 200, responseBody: '{"ok":true}' };
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function expectInvalid(input: unknown, field: string): void {
  let caught: unknown;
  try {
    responseBinding(input as ResponseBindingInput);
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(AttestationError);
  expect((caught as AttestationError).code).to.equal("invalid-argument");
  expect((caught as AttestationError).details.field).to.equal(field);
}

describe("attestation", function () {
  describe("responseBinding", function () {
    it("returns SHA-256 of the tagged request followed by SHA-256 of the tagged response as README.md specifies", function () {
      const request = createHash("sha256").update(Buffer.from('arbor.request.v1POST\n/v1/auth?x=1\n{"email":"a@b.c"}')).digest("hex");
      const response = createHash("sha256").update(Buffer.from('arbor.response.v1200\n{"ok":true}')).digest("hex");
      expect(hex(responseBinding(base))).to.equal(request + response);
    });

    it("matches the frozen value when given the reference exchange (breaks loudly if the format moves)", function () {
      // Computed independently with Python's hashlib:
      // sha256(b"arbor.request.v1GET\n/\n").hexdigest() + sha256(b"arbor.response.v1404\n\xff").hexdigest()
      expect(hex(responseBinding({ method: "GET", path: "/", requestBody: new Uint8Array(0), status: 404, responseBody: new Uint8Array([0xff]) }))).to.equal(
        "a049f835effde64e7d669e5a41484a69644c6e2987c41b86c053e11532fdc5df838211d300e7bd7f1e6072a1aa30f67f65b69a4c8be0d3c452b2d645d3790504",
      );
    });

    it("treats a string body as its UTF-8 bytes", function () {
      expect(hex(responseBinding({ ...base, requestBody: Buffer.from(base.requestBody as string) }))).to.equal(hex(responseBinding(base)));
      expect(hex(responseBinding({ ...base, responseBody: "é" }))).to.equal(hex(responseBinding({ ...base, responseBody: new Uint8Array([0xc3, 0xa9]) })));
    });

    it("changes when any single field changes (law: each field is bound)", function () {
      fc.assert(
        fc.property(
          fc.constantFrom("GET", "POST", "PUT", "DELETE"),
          fc.string({ minLength: 1 }).filter((p) => !/[\r\n]/.test(p)),
          fc.uint8Array(),
          fc.integer({ min: 100, max: 599 }),
          fc.uint8Array(),
          fc.nat(4),
          (method, path, requestBody, status, responseBody, which) => {
            const input: ResponseBindingInput = { method, path, requestBody, status, responseBody };
            const changed: ResponseBindingInput = { ...input };
            if (which === 0) changed.method = method === "GET" ? "HEAD" : "GET";
            if (which === 1) changed.path = `${path}/`;
            if (which === 2) changed.requestBody = new Uint8Array([...requestBody, 0]);
            if (which === 3) changed.status = status === 200 ? 201 : 200;
            if (which === 4) changed.responseBody = new Uint8Array([...responseBody, 0]);
            const a = responseBinding(input);
            const b = responseBinding(changed);
            expect(a.byteLength).to.equal(64);
            // A request change moves only the first half, a response change only the second.
            const half = which <= 2 ? [0, 32] : [32, 64];
            const other = which <= 2 ? [32, 64] : [0, 32];
            expect(hex(a.subarray(half[0], half[1]))).to.not.equal(hex(b.subarray(half[0], half[1])));
            expect(hex(a.subarray(other[0], other[1]))).to.equal(hex(b.subarray(other[0], other[1])));
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("throws invalid-argument naming the field when the method, path, status or a body is unusable", function () {
      expectInvalid({ ...base, method: "GET /" }, "method");
      expectInvalid({ ...base, method: "" }, "method");
      expectInvalid({ ...base, path: "/a\nb" }, "path");
      expectInvalid({ ...base, path: "" }, "path");
      expectInvalid({ ...base, status: 99 }, "status");
      expectInvalid({ ...base, status: 200.5 }, "status");
      expectInvalid({ ...base, requestBody: 5 }, "requestBody");
      expectInvalid({ ...base, responseBody: null }, "responseBody");
      expectInvalid(null, "input");
    });
  });
});
