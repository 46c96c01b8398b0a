/** An HTTP request exactly as the host received it (the body is the exact bytes). */
export interface ForwardedRequest {
  method: string;
  /** Request target: path and query as on the request line. */
  target: string;
  /** Header names lowercase (as node delivers them). */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** The host stopped reading at its limit; `body` is then empty. */
  bodyTooLarge?: boolean;
}

/** The response the enclave wants sent, byte for byte. */
export interface EnclaveResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** The single value of a header, or undefined when absent or repeated. */
export function header(req: ForwardedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
}
