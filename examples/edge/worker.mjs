// A CDN worker that decides at the edge, from the reader's signed entitlement token,
// whether to serve the full article or the teaser with the paywall.
//
// Written for Cloudflare Workers (`export default { fetch }`, WebCrypto Ed25519); the
// same code runs in Fastly Compute's JavaScript runtime and in Node 20 (its tests:
// `node --test examples/edge/`). It trusts only the service's published keys
// (/.well-known/jwks.json), only EdDSA, and checks exp, iat, iss and aud.
//
// What it decides (docs/api.md, "Edge tokens"):
//   full    an unlimited reader, or a metered reader re-reading a counted article;
//   ask     a metered reader with free articles left and a new article, or no valid
//           token: the service counts the read (POST .../articles/<id>/read/?token=1)
//           and hands back a fresh token;
//   teaser  a metered reader whose free articles are used up: the paywall.

export const LEEWAY_SECONDS = 30;
export const TOKEN_COOKIE = "ent_token";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function unb64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export class InvalidToken extends Error {}

// kid -> CryptoKey, per JWKS object: importing a key costs more than verifying with it.
const imported = new WeakMap();

async function publicKey(jwks, kid) {
  let keys = imported.get(jwks);
  if (!keys) {
    keys = new Map();
    imported.set(jwks, keys);
  }
  if (!keys.has(kid)) {
    const jwk = (jwks.keys || []).find((k) => k.kid === kid);
    if (!jwk || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") return null;
    const key = crypto.subtle.importKey(
      "jwk",
      { kty: "OKP", crv: "Ed25519", x: jwk.x },
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    keys.set(kid, key);
  }
  return keys.get(kid);
}

// Tokens verified recently (per JWKS, issuer and audience): a reader's page views present
// the same token for its whole life, so its signature is checked once per isolate; exp is
// checked on every use.
const MEMO_SIZE = 10_000;
const memo = new Map();

// The claims of a token signed by a key of `jwks`; throws InvalidToken otherwise.
export async function verifyToken(token, jwks, options) {
  const { issuer, audience, now, leeway = LEEWAY_SECONDS } = options;
  const seconds = Math.floor((now ?? Date.now()) / 1000);
  const seen = memo.get(token);
  if (seen && seen.jwks === jwks && seen.issuer === issuer && seen.audience === audience) {
    if (seconds <= seen.claims.exp + leeway) return seen.claims;
    memo.delete(token);
  }
  const claims = await verifySignature(token, jwks, options);
  memo.set(token, { jwks, issuer, audience, claims });
  if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value);
  return claims;
}

// The full check: header, signature, exp, iat, iss, aud.
async function verifySignature(token, jwks, { issuer, audience, now, leeway = LEEWAY_SECONDS }) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) throw new InvalidToken("malformed token");
  let header, claims;
  try {
    header = JSON.parse(decoder.decode(unb64url(parts[0])));
    claims = JSON.parse(decoder.decode(unb64url(parts[1])));
  } catch {
    throw new InvalidToken("malformed token");
  }
  if (header.alg !== "EdDSA") throw new InvalidToken(`algorithm ${header.alg} is not accepted`);
  const key = await publicKey(jwks, header.kid);
  if (!key) throw new InvalidToken(`no published key has kid ${header.kid}`);
  const signed = encoder.encode(`${parts[0]}.${parts[1]}`);
  let valid = false;
  try {
    valid = await crypto.subtle.verify({ name: "Ed25519" }, await key, unb64url(parts[2]), signed);
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidToken("bad signature");
  const seconds = Math.floor((now ?? Date.now()) / 1000);
  if (typeof claims.exp !== "number" || seconds > claims.exp + leeway) {
    throw new InvalidToken("token expired");
  }
  if (typeof claims.iat !== "number" || claims.iat > seconds + leeway) {
    throw new InvalidToken("token issued in the future");
  }
  if (claims.iss !== issuer) throw new InvalidToken("wrong issuer");
  if (claims.aud !== audience) throw new InvalidToken("wrong audience");
  return claims;
}

// "full", "ask" or "teaser" for this reader (verified claims, or null) and article.
export function decide(claims, articleId) {
  if (!claims) return "ask";
  if (claims.access === "unlimited") return "full";
  const meter = claims.meter;
  if (meter && meter.articles.includes(articleId)) return "full";
  if (meter && meter.remaining > 0) return "ask";
  return "teaser";
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The article page. Both variants carry the same schema.org markup: the article is not
// free, and the part behind the paywall is `.paywalled-content`, so a search engine that
// sees the full text (its crawler is let through) and readers who see the teaser are
// told the same thing: a paywall, not cloaking.
export function renderArticle(article, { full }) {
  const markup = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    headline: article.title,
    isAccessibleForFree: false,
    hasPart: {
      "@type": "WebPageElement",
      isAccessibleForFree: false,
      cssSelector: ".paywalled-content",
    },
  };
  const json = JSON.stringify(markup).replace(/</g, "\\u003c");
  const rest = full
    ? `<div class="paywalled-content">${escape(article.body)}</div>`
    : `<div class="paywall"><p>You have read your free articles this month.</p>` +
      `<a href="/subscribe">Subscribe</a></div>`;
  return (
    `<!doctype html><html><head><title>${escape(article.title)}</title>` +
    `<script type="application/ld+json">${json}</script></head><body><article>` +
    `<h1>${escape(article.title)}</h1><p class="teaser">${escape(article.teaser)}</p>` +
    `${rest}</article></body></html>`
  );
}

function cookie(request, name) {
  const header = request.headers.get("Cookie") || "";
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return null;
}

// The service counts the read and returns a fresh token (the reader's own credentials
// travel along: their Token, or their anonymous reader id cookie).
async function askTheService(request, env, articleId) {
  const headers = {};
  for (const name of ["Authorization", "Cookie", "X-Reader-Id"]) {
    const value = request.headers.get(name);
    if (value) headers[name] = value;
  }
  const url = `${env.API_ORIGIN}/api/entitlements/articles/${encodeURIComponent(articleId)}/read/?token=1`;
  const response = await (env.fetch || fetch)(url, { method: "POST", headers });
  if (!response.ok) return { granted: false };
  return response.json();
}

let jwksCache = null;

async function jwksFor(env, refresh = false) {
  if (env.JWKS) return env.JWKS; // bound at deploy time (or by the tests)
  const now = Date.now();
  // Fetched again when stale, or on an unknown kid at most every 30 s (a forged kid
  // must not make every request fetch it).
  const stale = !jwksCache || now > jwksCache.until || (refresh && now > jwksCache.fetched + 30_000);
  if (stale) {
    const response = await fetch(`${env.API_ORIGIN}/.well-known/jwks.json`);
    jwksCache = { keys: await response.json(), fetched: now, until: now + 300_000 };
  }
  return jwksCache.keys;
}

export default {
  async fetch(request, env) {
    const articleId = new URL(request.url).pathname.split("/").filter(Boolean).pop();
    const article = await env.articles(articleId); // from the origin or the CDN's cache
    const options = { issuer: env.ISSUER, audience: env.AUDIENCE };
    let claims = null;
    const token = cookie(request, TOKEN_COOKIE);
    if (token) {
      try {
        claims = await verifyToken(token, await jwksFor(env), options);
      } catch (error) {
        if (error instanceof InvalidToken && error.message.startsWith("no published key")) {
          // A key activated since the JWKS was cached: fetch it again, once.
          claims = await verifyToken(token, await jwksFor(env, true), options).catch(() => null);
        }
      }
    }
    let verdict = decide(claims, articleId);
    const headers = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "private" };
    if (verdict === "ask") {
      const answer = await askTheService(request, env, articleId);
      verdict = answer.granted ? "full" : "teaser";
      if (answer.token) {
        headers["Set-Cookie"] = `${TOKEN_COOKIE}=${answer.token}; Path=/; Secure; HttpOnly; SameSite=Lax`;
      }
    }
    headers["X-Paywall-Decision"] = verdict;
    return new Response(renderArticle(article, { full: verdict === "full" }), { headers });
  },
};
