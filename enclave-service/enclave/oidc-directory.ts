import type { JSONWebKeySet } from "jose";
import type { Upstream } from "./upstream";
import { ServiceError } from "./service-error";

/** The parts of an OpenID Provider's discovery document the service uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported?: string[];
}

const TTL_MS = 10 * 60_000;

/**
 * Discovery documents and key sets of OpenID providers, fetched over TLS that ends in the enclave
 * (the host relays bytes) and cached in enclave memory. A discovery document whose `issuer` is not the configured one is refused
 * (OpenID Connect Discovery 1.0, section 4.3).
 */
export class OidcDirectory {
  private readonly metadata = new Map<string, { value: ProviderMetadata; until: number }>();
  private readonly keys = new Map<string, { value: JSONWebKeySet; until: number }>();

  constructor(private readonly upstream: Upstream) {}

  async provider(issuer: string): Promise<ProviderMetadata> {
    const hit = this.metadata.get(issuer);
    if (hit && hit.until > Date.now()) return hit.value;
    const doc = await this.getJson(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, issuer);
    const m = doc as Partial<ProviderMetadata>;
    if (m.issuer !== issuer) {
      throw new ServiceError("idp-unavailable", "the provider's discovery document names another issuer", { issuer, found: m.issuer });
    }
    for (const f of ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const) {
      if (typeof m[f] !== "string") throw new ServiceError("idp-unavailable", `the provider's discovery document has no ${f}`, { issuer });
    }
    this.metadata.set(issuer, { value: m as ProviderMetadata, until: Date.now() + TTL_MS });
    return m as ProviderMetadata;
  }

  /** The provider's key set; `refresh` skips the cache (a token names a key we do not have yet). */
  async jwks(issuer: string, refresh = false): Promise<JSONWebKeySet> {
    const hit = this.keys.get(issuer);
    if (!refresh && hit && hit.until > Date.now()) return hit.value;
    const { jwks_uri } = await this.provider(issuer);
    const set = (await this.getJson(jwks_uri, issuer)) as JSONWebKeySet;
    if (!set || !Array.isArray(set.keys)) throw new ServiceError("idp-unavailable", "the provider's jwks_uri returned no key set", { issuer });
    this.keys.set(issuer, { value: set, until: Date.now() + TTL_MS });
    return set;
  }

  private async getJson(url: string, issuer: string): Promise<unknown> {
    let res;
    try {
      res = await this.upstream.fetch({ url, headers: { accept: "application/json" } });
    } catch (err) {
      // A failed TLS session or a destination off the allow list keeps its own code.
      if (err instanceof ServiceError && err.code !== "upstream-unavailable") throw err;
      throw new ServiceError("idp-unavailable", `could not reach the identity provider: ${(err as Error).message}`, { issuer });
    }
    if (res.status !== 200) throw new ServiceError("idp-unavailable", `the identity provider answered ${res.status}`, { issuer, url });
    try {
      return JSON.parse(Buffer.from(res.body).toString("utf8"));
    } catch {
      throw new ServiceError("idp-unavailable", "the identity provider answered with invalid JSON", { issuer, url });
    }
  }
}
