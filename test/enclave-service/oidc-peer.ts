// A real OpenID provider over HTTPS and a user agent for its login pages (no tests here).
import https from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import type { ServerCredentials } from "./test-ca";

export const CLIENT_ID = "arbor-identity";
export const CLIENT_SECRET = "s3cret-only-the-enclave-knows";
export const REDIRECT_URI = "https://game.example/callback";

/**
 * The oidc-provider package on 127.0.0.1 over HTTPS with `credentials`, with its development login
 * pages. `publicPort` is the port the issuer names (a relay in front of the provider), default its own.
 */
export async function startOidcProvider(credentials: ServerCredentials, publicPort?: () => Promise<number>): Promise<{ issuer: string; port: number; close(): Promise<void> }> {
  const { Provider } = require("oidc-provider") as { Provider: new (issuer: string, config: unknown) => { callback(): (req: unknown, res: unknown) => void } }; // eslint-disable-line @typescript-eslint/no-require-imports
  const server = https.createServer({ key: credentials.key, cert: credentials.cert });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  const issuer = `https://127.0.0.1:${publicPort ? await publicPort() : port}`;
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "test-key", use: "sig", alg: "ES256" }] },
    pkce: { required: () => true },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@idp.example`, email_verified: true }) }),
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    cookies: { keys: ["oidc-test-cookie-key"] },
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  server.on("request", provider.callback() as Parameters<typeof server.on>[1]);
  return {
    issuer,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One HTTPS exchange trusting `ca` (the user agent's browser, which trusts the test CA). */
function request(url: string, ca: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; location?: string; cookies: string[]; text: string }>((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? "GET", headers: init.headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, cookies: res.headers["set-cookie"] ?? [], text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/**
 * A user agent: follows the provider's redirects with a cookie jar, signs in as `subject` on the
 * development login page, consents, and stops at the redirect back to the app.
 */
export async function signInAtProvider(authorizationUrl: string, subject: string, ca: string): Promise<{ code: string; state: string }> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const remember = (cookies: string[]) => {
    for (const c of cookies) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  let url = authorizationUrl;
  for (let step = 0; step < 12; step++) {
    if (url.startsWith(REDIRECT_URI)) {
      const back = new URL(url);
      if (back.searchParams.get("error")) throw new Error(`provider error: ${back.searchParams.get("error_description")}`);
      return { code: back.searchParams.get("code")!, state: back.searchParams.get("state")! };
    }
    const res = await request(url, ca, { headers: { cookie: cookieHeader() } });
    remember(res.cookies);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.location!, url).toString();
      continue;
    }
    const action = /action="([^"]+)"/.exec(res.text)?.[1];
    if (!action) throw new Error(`no form on ${url}: ${res.text.slice(0, 300)}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(res.text)![1];
    const form = new URLSearchParams(prompt === "login" ? { prompt, login: subject, password: "any" } : { prompt });
    const submitted = await request(new URL(action, url).toString(), ca, {
      method: "POST",
      headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    remember(submitted.cookies);
    url = new URL(submitted.location!, url).toString();
  }
  throw new Error("too many redirects at the provider");
}
