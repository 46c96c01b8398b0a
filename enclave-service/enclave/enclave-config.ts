import { X509Certificate } from "node:crypto";
import { isLocalAttestationRoot } from "../../lib/attestation";

/** An OpenID Connect provider an ecosystem accepts (Google, Apple, ... are configuration, not code). */
export interface OidcProviderConfig {
  /** The `iss` value, e.g. "https://accounts.google.com"; discovery is `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Stays inside the service: the enclave puts it on the token request, no client ever sees it. */
  clientSecret: string;
  redirectUri: string;
  /** Default ["openid", "email"]. */
  scopes?: string[];
}

/** An app of an ecosystem: the web origin its pages run on and the audiences it may ask for. */
export interface AppConfig {
  /** Shown in the login email, e.g. "Example Game". */
  name: string;
  /** The `Origin` its requests carry, e.g. "https://game.example". */
  origin: string;
  /** Audiences (ecosystem origins) this app may obtain attestations for; usually just its own origin. */
  audiences: string[];
}

/** A tenant: the apps (origins) it serves and how their users may log in. */
export interface EcosystemConfig {
  /** App origins that may be attestation audiences, e.g. "https://app.example". */
  origins: string[];
  /**
   * Which request `Origin` may ask for which audience (Finding 8). Default: one app per origin,
   * named by the origin, allowed only its own origin as audience.
   */
  apps?: AppConfig[];
  /** Which OTP identity types are on (default: both). */
  otp?: { email?: boolean; phone?: boolean };
  oidc?: OidcProviderConfig[];
}

/**
 * Where the enclave may connect (through the host's TCP relay) and which certificate authorities it
 * trusts there. Part of the measured configuration: the host cannot widen it.
 */
export interface EgressConfig {
  /** Destinations as `host:port` (lower case), e.g. "accounts.google.com:443", "smtp.example:465". */
  allow: string[];
  /** PEM CA certificates TLS servers must chain to (default: Node's bundled Mozilla roots). */
  caPem?: string[];
}

/** The SMTP server the enclave sends login codes through (TLS always: the host must not read codes). */
export interface SmtpConfig {
  host: string;
  port: number;
  /** "tls": implicit TLS (SMTPS, port 465); "starttls": STARTTLS required before MAIL FROM (port 587). */
  security: "tls" | "starttls";
  /** The From header, e.g. "Arbor <no-reply@arbor.example>". */
  from: string;
  user?: string;
  pass?: string;
}

/** Everything the enclave process is started with. */
export interface EnclaveConfig {
  /** Unix socket the enclave listens on (the stand-in for its vsock port). */
  socketPath: string;
  /**
   * The name requests are signed for (lib/identity request signing), announced by GET /v1/health.
   * Default "arbor-identity-local"; production requires a name of its own (e.g. its public host).
   */
  serviceName?: string;
  /** Production policy: refuses to run with a LOCAL attestation root. */
  production?: boolean;
  ecosystems: Record<string, EcosystemConfig>;
  /** Outbound destinations and CA roots (default: none; OIDC and SMTP need entries here). */
  egress?: EgressConfig;
  /** SMTP from inside the enclave; without it, email goes to the host's dev outbox (refused in production). */
  smtp?: SmtpConfig;
  /** The three key holders' master public keys (base64 X25519), holder 1 first. */
  keyHolders: { holder: number; publicKey: string }[];
  pool?: { size?: number; cacheMs?: number };
  /**
   * OTP codes: lifetime, attempts per code, and codes per destination (email/phone) per window,
   * counted in the shared database (default 10 per hour).
   */
  otp?: { ttlMs?: number; maxAttempts?: number; perDestination?: { max: number; windowMs: number } };
  /** OpenID logins: commitment TTL, attempts, and the oldest ID token accepted (`iat`, default 600 s). */
  oidc?: { ttlMs?: number; maxAttempts?: number; maxTokenAgeSeconds?: number };
  /** How long a completed login binds the auth key (default 7 days). */
  authKeyLifetimeMs?: number;
  /** Longest attestation the service signs, in seconds (default 7 days). */
  maxAttestationLifetimeSeconds?: number;
  /** Accepted distance between a request's timestamp and the enclave clock (default 5 minutes). */
  requestClockSkewMs?: number;
  /** Token bucket per auth key for signing requests (default 20/s, burst 40). */
  rateLimit?: { perSecond: number; burst: number };
  /** SHA-256 (hex) of the admin bearer token; admin routes are off without it. */
  adminTokenSha256?: string;
  /** Background re-encryption interval (default 60 s; 0 disables it). */
  reencryptIntervalMs?: number;
  /** Largest request body the enclave handles (default 64 KiB). */
  maxBodyBytes?: number;
}

/** The apps of an ecosystem, with the default of one app per origin. */
export function appsOf(eco: EcosystemConfig): AppConfig[] {
  return eco.apps ?? eco.origins.map((origin) => ({ name: origin, origin, audiences: [origin] }));
}

function requireAllowed(config: EnclaveConfig, host: string, port: number, field: string): void {
  if (!(config.egress?.allow ?? []).map((a) => a.toLowerCase()).includes(`${host.toLowerCase()}:${port}`)) {
    throw new EnclaveConfigError(`${host}:${port} must be in egress.allow`, field);
  }
}

function validateEgress(config: EnclaveConfig): void {
  const egress = config.egress;
  if (egress !== undefined) {
    if (!Array.isArray(egress.allow)) throw new EnclaveConfigError("must be a list of host:port", "egress.allow");
    for (const a of egress.allow) {
      const m = typeof a === "string" ? /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(a) : null;
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new EnclaveConfigError(`${String(a)} is not host:port`, "egress.allow");
    }
    if (egress.caPem !== undefined) {
      if (!Array.isArray(egress.caPem) || egress.caPem.length === 0) throw new EnclaveConfigError("a non-empty list of PEM certificates", "egress.caPem");
      for (const [i, pem] of egress.caPem.entries()) {
        try {
          new X509Certificate(pem);
        } catch {
          throw new EnclaveConfigError("not a PEM certificate", `egress.caPem[${i}]`);
        }
      }
    }
  }
  const smtp = config.smtp;
  if (smtp !== undefined) {
    if (typeof smtp.host !== "string" || smtp.host.length === 0) throw new EnclaveConfigError("required", "smtp.host");
    if (!Number.isInteger(smtp.port) || smtp.port < 1 || smtp.port > 65535) throw new EnclaveConfigError("must be 1..65535", "smtp.port");
    if (smtp.security !== "tls" && smtp.security !== "starttls") throw new EnclaveConfigError('must be "tls" or "starttls" (plain SMTP would show codes to the host)', "smtp.security");
    if (typeof smtp.from !== "string" || smtp.from.length === 0) throw new EnclaveConfigError("required", "smtp.from");
    requireAllowed(config, smtp.host, smtp.port, "smtp");
  } else if (config.production === true) {
    throw new EnclaveConfigError("production needs an SMTP server: the dev outbox is written by the host", "smtp");
  }
}

/** A configuration the enclave refuses to start with. */
export class EnclaveConfigError extends Error {
  override readonly name = "EnclaveConfigError" as const;
  readonly code = "invalid-enclave-config" as const;
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * Checks a configuration before anything starts. In production a LOCAL attestation root is refused:
 * documents chained to it prove nothing to anyone but the machine's owner.
 *
 * @example
 * validateEnclaveConfig(JSON.parse(readFileSync(file, "utf8")), { rootPem: attestor.rootPem });
 */
export function validateEnclaveConfig(config: EnclaveConfig, attestation: { rootPem: string }): EnclaveConfig {
  if (config.production === true && isLocalAttestationRoot(attestation.rootPem)) {
    throw new EnclaveConfigError("production configuration refuses the LOCAL attestation root; run inside AWS Nitro", "production");
  }
  if (typeof config.socketPath !== "string" || config.socketPath.length === 0) throw new EnclaveConfigError("required", "socketPath");
  if (config.serviceName !== undefined && (typeof config.serviceName !== "string" || !/^[\x21-\x7e]{1,253}$/.test(config.serviceName))) {
    throw new EnclaveConfigError("must be 1..253 printable characters without spaces", "serviceName");
  }
  if (config.production === true && (config.serviceName === undefined || config.serviceName === "arbor-identity-local")) {
    throw new EnclaveConfigError("production needs a service name of its own", "serviceName");
  }
  if (!Array.isArray(config.keyHolders) || config.keyHolders.length !== 3) throw new EnclaveConfigError("exactly three key holders", "keyHolders");
  config.keyHolders.forEach((h, i) => {
    if (h.holder !== i + 1) throw new EnclaveConfigError(`must be holder ${i + 1}`, `keyHolders[${i}].holder`);
    if (Buffer.from(String(h.publicKey), "base64").length !== 32) throw new EnclaveConfigError("must be a base64 32-byte X25519 key", `keyHolders[${i}].publicKey`);
  });
  if (config.ecosystems === null || typeof config.ecosystems !== "object" || Object.keys(config.ecosystems).length === 0) {
    throw new EnclaveConfigError("at least one ecosystem", "ecosystems");
  }
  for (const [id, eco] of Object.entries(config.ecosystems)) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new EnclaveConfigError("ecosystem ids are lowercase [a-z0-9-]", `ecosystems.${id}`);
    if (!Array.isArray(eco.origins) || eco.origins.length === 0) throw new EnclaveConfigError("at least one origin", `ecosystems.${id}.origins`);
    for (const o of eco.origins) {
      let u: URL;
      try {
        u = new URL(o);
      } catch {
        throw new EnclaveConfigError(`${o} is not a URL`, `ecosystems.${id}.origins`);
      }
      if (u.origin !== o) throw new EnclaveConfigError(`${o} is not an origin (scheme://host[:port], no path)`, `ecosystems.${id}.origins`);
    }
    if (eco.apps !== undefined) {
      if (!Array.isArray(eco.apps) || eco.apps.length === 0) throw new EnclaveConfigError("at least one app, or leave apps out", `ecosystems.${id}.apps`);
      for (const [i, app] of eco.apps.entries()) {
        const field = `ecosystems.${id}.apps[${i}]`;
        if (typeof app.name !== "string" || app.name.length === 0 || app.name.length > 64 || /[\r\n]/.test(app.name)) throw new EnclaveConfigError("1..64 characters on one line", `${field}.name`);
        let u: URL;
        try {
          u = new URL(app.origin);
        } catch {
          throw new EnclaveConfigError(`${String(app.origin)} is not a URL`, `${field}.origin`);
        }
        if (u.origin !== app.origin) throw new EnclaveConfigError(`${app.origin} is not an origin`, `${field}.origin`);
        if (!Array.isArray(app.audiences) || app.audiences.length === 0) throw new EnclaveConfigError("at least one audience", `${field}.audiences`);
        for (const a of app.audiences) if (!eco.origins.includes(a)) throw new EnclaveConfigError(`${String(a)} is not an origin of the ecosystem`, `${field}.audiences`);
      }
    }
    for (const [i, p] of (eco.oidc ?? []).entries()) {
      for (const f of ["issuer", "clientId", "clientSecret", "redirectUri"] as const) {
        if (typeof p[f] !== "string" || p[f].length === 0) throw new EnclaveConfigError("required", `ecosystems.${id}.oidc[${i}].${f}`);
      }
      let issuer: URL;
      try {
        issuer = new URL(p.issuer);
      } catch {
        throw new EnclaveConfigError(`${p.issuer} is not a URL`, `ecosystems.${id}.oidc[${i}].issuer`);
      }
      // TLS ends in the enclave: a plain-http issuer would hand the host the token exchange.
      if (issuer.protocol !== "https:") throw new EnclaveConfigError("issuers must be https URLs", `ecosystems.${id}.oidc[${i}].issuer`);
      requireAllowed(config, issuer.hostname.replace(/^\[|\]$/g, ""), issuer.port === "" ? 443 : Number(issuer.port), `ecosystems.${id}.oidc[${i}].issuer`);
    }
  }
  validateEgress(config);
  const pd = config.otp?.perDestination;
  if (pd !== undefined && (!Number.isSafeInteger(pd.max) || pd.max < 1 || !Number.isSafeInteger(pd.windowMs) || pd.windowMs < 1000)) {
    throw new EnclaveConfigError("max must be a positive integer and windowMs at least 1000", "otp.perDestination");
  }
  if (config.adminTokenSha256 !== undefined && !/^[0-9a-f]{64}$/.test(config.adminTokenSha256)) {
    throw new EnclaveConfigError("must be 64 lowercase hex digits", "adminTokenSha256");
  }
  return config;
}
