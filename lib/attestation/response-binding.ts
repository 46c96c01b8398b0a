import { createHash } from "node:crypto";
import { AttestationError } from "./errors";

/** The request and response an attestation document answers for. */
export interface ResponseBindingInput {
  /** HTTP method as sent, e.g. "POST" (an RFC 9110 token; case is kept). */
  method: string;
  /** Request target as sent: path and query, e.g. "/v1/auth?x=1". No CR or LF. */
  path: string;
  /** Exact request body bytes (a string is taken as UTF-8). Empty when there is none. */
  requestBody: Uint8Array | string;
  /** HTTP status code, 100..599. */
  status: number;
  /** Exact response body bytes (a string is taken as UTF-8). */
  responseBody: Uint8Array | string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function body(value: unknown, field: string): Uint8Array {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return value;
  throw new AttestationError("invalid-argument", `${field}: must be a Uint8Array or a string`, { field });
}

/**
 * The 64 bytes an attestation document carries as user_data to bind one HTTP exchange:
 *
 *     SHA-256("arbor.request.v1"  ‖ method ‖ "\n" ‖ path ‖ "\n" ‖ requestBody)
 *   ‖ SHA-256("arbor.response.v1" ‖ decimal(status) ‖ "\n" ‖ responseBody)
 *
 * The method is a token and the path has no line break, so the separators cannot be forged; the
 * body is last, so it needs no length. A client recomputes it from the bytes it sent and received
 * and passes it as `userData` to `verifyAttestationDocument`. See README.md "Response binding".
 *
 * @example
 * const userData = responseBinding({ method: "POST", path: "/v1/auth", requestBody, status: 200, responseBody });
 * verifyAttestationDocument(doc, { roots: [rootPem], userData, nonce });
 */
export function responseBinding(input: ResponseBindingInput): Uint8Array {
  if (typeof input !== "object" || input === null) throw new AttestationError("invalid-argument", "input: must be an object", { field: "input" });
  const { method, path, status } = input;
  if (typeof method !== "string" || !TOKEN.test(method)) throw new AttestationError("invalid-argument", "method: must be an HTTP token such as GET or POST", { field: "method", value: String(method) });
  if (typeof path !== "string" || path.length === 0 || /[\r\n]/.test(path)) throw new AttestationError("invalid-argument", "path: must be non-empty text without CR or LF", { field: "path" });
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new AttestationError("invalid-argument", "status: must be an integer 100..599", { field: "status", value: status });
  const request = createHash("sha256")
    .update("arbor.request.v1")
    .update(method)
    .update("\n")
    .update(path, "utf8")
    .update("\n")
    .update(body(input.requestBody, "requestBody"))
    .digest();
  const response = createHash("sha256")
    .update("arbor.response.v1")
    .update(String(status))
    .update("\n")
    .update(body(input.responseBody, "responseBody"))
    .digest();
  return new Uint8Array(Buffer.concat([request, response]));
}
