import { appsOf, type AppConfig, type EnclaveConfig } from "./enclave-config";
import type { HostLink, Queryable } from "./host-link";
import type { KeyPool } from "./key-pool";
import type { MonotonicState } from "./monotonic-state";
import type { OidcDirectory } from "./oidc-directory";
import type { Upstream } from "./upstream";
import { ServiceError } from "./service-error";

/** What a handler of an auth-key route gets. */
export interface RequestContext {
  config: EnclaveConfig;
  link: HostLink;
  pool: KeyPool;
  /** The enclave's rollback guard (monotonic-state.ts). */
  guard: MonotonicState;
  oidc: OidcDirectory;
  /** Outbound TLS through the host's relay. */
  upstream: Upstream;
  /** The request's `Origin` header (the app's web origin; browsers set it, pages cannot). */
  origin: string | undefined;
  /** The verified auth key id of the request. */
  authKey: string;
  now: number;
  /** The request's transaction: everything a handler stores goes through it. */
  tx: Queryable;
}

/** A JSON object body field, checked. */
export function requireString(body: Record<string, unknown>, field: string, options: { max?: number; pattern?: RegExp } = {}): string {
  const v = body[field];
  if (typeof v !== "string" || v.length === 0 || v.length > (options.max ?? 256) || (options.pattern && !options.pattern.test(v))) {
    throw new ServiceError("invalid-request", `${field} must be a string${options.pattern ? ` matching ${options.pattern}` : ""} of at most ${options.max ?? 256} characters`, {
      field,
    });
  }
  return v;
}

/**
 * The app a request comes from: its `Origin` must be an app of the ecosystem, and that app must be
 * allowed `audience`. So a page of app A cannot start a login, or get an attestation, for app B.
 *
 * @dev Throws ServiceError `origin-required` without an Origin header, `unknown-app` when the
 *      origin is no app of the ecosystem, `audience-not-allowed` when the app may not ask for it.
 */
export function requireApp(ctx: Pick<RequestContext, "config" | "origin">, ecosystem: string, audience: string): AppConfig {
  if (ctx.origin === undefined) throw new ServiceError("origin-required", "this route needs the Origin header of the app asking", { ecosystem });
  const eco = Object.prototype.hasOwnProperty.call(ctx.config.ecosystems, ecosystem) ? ctx.config.ecosystems[ecosystem] : undefined;
  if (!eco) throw new ServiceError("unknown-ecosystem", `no ecosystem ${JSON.stringify(ecosystem)}`, { ecosystem });
  const app = appsOf(eco).find((a) => a.origin === ctx.origin);
  if (!app) throw new ServiceError("unknown-app", `${ctx.origin} is not an app of ecosystem ${ecosystem}`, { ecosystem, origin: ctx.origin });
  if (!app.audiences.includes(audience)) {
    throw new ServiceError("audience-not-allowed", `app ${app.name} (${app.origin}) may not ask for audience ${audience}`, { ecosystem, origin: app.origin, audience });
  }
  return app;
}

/** The ecosystem and audience of a login request, both checked against configuration. */
export function requireEcosystemAndAudience(config: EnclaveConfig, body: Record<string, unknown>): { ecosystem: string; audience: string } {
  const ecosystem = requireString(body, "ecosystem", { max: 63 });
  const eco = Object.prototype.hasOwnProperty.call(config.ecosystems, ecosystem) ? config.ecosystems[ecosystem] : undefined;
  if (!eco) throw new ServiceError("unknown-ecosystem", `no ecosystem ${JSON.stringify(ecosystem)}`, { ecosystem });
  const audience = requireString(body, "audience", { max: 512 });
  if (!eco.origins.includes(audience)) {
    throw new ServiceError("origin-not-allowed", `${audience} is not an origin of ecosystem ${ecosystem}`, { ecosystem, audience });
  }
  return { ecosystem, audience };
}
