// node --test examples/edge/: the worker against tokens the service issued.
// tests/entitlements/test_edge_verifiers.py issues them through the API and runs this
// with EDGE_FIXTURES naming the file it wrote; without it, every test is skipped.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import worker, { InvalidToken, decide, renderArticle, verifyToken } from "./worker.mjs";

const fixtures = process.env.EDGE_FIXTURES
  ? JSON.parse(readFileSync(process.env.EDGE_FIXTURES, "utf8"))
  : null;
const skip = fixtures ? false : "EDGE_FIXTURES is not set (run through pytest)";
const options = () => ({ issuer: fixtures.issuer, audience: fixtures.audience });
const claimsOf = (token) =>
  JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function refused(token, jwks, message, extra = {}) {
  await assert.rejects(verifyToken(token, jwks, { ...options(), ...extra }), (error) => {
    assert.ok(error instanceof InvalidToken, error);
    assert.match(error.message, message);
    return true;
  });
}

test("an unlimited reader is served the full article", { skip }, async () => {
  const claims = await verifyToken(fixtures.tokens.unlimited, fixtures.jwks, options());
  assert.equal(claims.access, "unlimited");
  assert.equal(decide(claims, "any-article"), "full");
});

test("a metered reader re-reads a counted article with no call to the service", { skip }, async () => {
  const claims = await verifyToken(fixtures.tokens.metered, fixtures.jwks, options());
  assert.deepEqual(claims.meter.articles, ["counted"]);
  assert.equal(decide(claims, "counted"), "full");
  assert.equal(decide(claims, "new-article"), "ask");
});

test("a reader past the limit gets the teaser and the paywall", { skip }, async () => {
  const claims = await verifyToken(fixtures.tokens.limit_reached, fixtures.jwks, options());
  assert.equal(claims.meter.remaining, 0);
  assert.equal(decide(claims, "new-article"), "teaser");
  assert.equal(decide(null, "new-article"), "ask");
});

test("an expired token is refused once past the leeway", { skip }, async () => {
  const token = fixtures.tokens.metered;
  const { exp } = claimsOf(token);
  await verifyToken(token, fixtures.jwks, { ...options(), now: (exp + 29) * 1000 });
  await refused(token, fixtures.jwks, /expired/, { now: (exp + 31) * 1000 });
});

test("tampered claims are refused", { skip }, async () => {
  const [header, , signature] = fixtures.tokens.limit_reached.split(".");
  const claims = { ...claimsOf(fixtures.tokens.limit_reached), access: "unlimited" };
  await refused(`${header}.${b64(claims)}.${signature}`, fixtures.jwks, /signature/);
});

test("alg none and HS256 keyed with the public key are refused", { skip }, async () => {
  const [, payload] = fixtures.tokens.metered.split(".");
  const kid = fixtures.jwks.keys[0].kid;
  await refused(`${b64({ alg: "none", kid })}.${payload}.`, fixtures.jwks, /not accepted/);
  const unsigned = `${b64({ alg: "HS256", kid })}.${payload}`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(fixtures.jwks.keys[0].x),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(unsigned));
  await refused(`${unsigned}.${Buffer.from(mac).toString("base64url")}`, fixtures.jwks, /not accepted/);
});

test("a wrong kid, a wrong audience and a wrong issuer are refused", { skip }, async () => {
  const [header, payload, signature] = fixtures.tokens.metered.split(".");
  const other = { ...JSON.parse(Buffer.from(header, "base64url")), kid: "k-unknown" };
  await refused(`${b64(other)}.${payload}.${signature}`, fixtures.jwks, /no published key/);
  await refused(fixtures.tokens.metered, fixtures.jwks, /audience/, { audience: "another-site" });
  await refused(fixtures.tokens.metered, fixtures.jwks, /issuer/, { issuer: "someone-else" });
});

test("a rotated key verifies during its overlap, a retired one after it does not", { skip }, async () => {
  const claims = await verifyToken(fixtures.tokens.rotated, fixtures.jwks_during_overlap, options());
  assert.equal(claims.access, "unlimited");
  await refused(fixtures.tokens.rotated, fixtures.jwks_after_overlap, /no published key/, {
    now: claims.exp * 1000,
  });
});

test("the page carries the paywall markup in both variants", () => {
  const article = { title: "A <title>", teaser: "The start.", body: "The rest." };
  for (const full of [true, false]) {
    const html = renderArticle(article, { full });
    const json = JSON.parse(html.match(/<script type="application\/ld\+json">(.*?)<\/script>/)[1]);
    assert.equal(json.isAccessibleForFree, false);
    assert.equal(json.hasPart.cssSelector, ".paywalled-content");
    assert.equal(json.hasPart.isAccessibleForFree, false);
    assert.equal(html.includes('class="paywalled-content"'), full);
    assert.equal(html.includes('class="paywall"'), !full);
    assert.ok(!html.includes("<title>A <title>"));
  }
});

function env(extra = {}) {
  return {
    JWKS: fixtures.jwks,
    ISSUER: fixtures.issuer,
    AUDIENCE: fixtures.audience,
    API_ORIGIN: "https://billing.example.com",
    articles: async (id) => ({ title: `Article ${id}`, teaser: "The start.", body: "The rest." }),
    fetch: async () => {
      throw new Error("the worker must not call the service here");
    },
    ...extra,
  };
}

const page = (token) =>
  new Request("https://news.example.com/articles/counted", {
    headers: token ? { Cookie: `theme=dark; ent_token=${token}` } : {},
  });

test("the worker serves full and teaser pages from the token alone", { skip }, async () => {
  const full = await worker.fetch(page(fixtures.tokens.metered), env());
  assert.equal(full.headers.get("X-Paywall-Decision"), "full");
  assert.match(await full.text(), /paywalled-content">The rest/);

  const teaser = await worker.fetch(
    new Request("https://news.example.com/articles/new-one", {
      headers: { Cookie: `ent_token=${fixtures.tokens.limit_reached}` },
    }),
    env(),
  );
  assert.equal(teaser.headers.get("X-Paywall-Decision"), "teaser");
  assert.match(await teaser.text(), /class="paywall"/);
});

test("without a token the worker asks the service, which counts and hands one back", { skip }, async () => {
  const calls = [];
  const answer = fixtures.read_answer; // the service's real answer to .../read/?token=1
  const response = await worker.fetch(
    page(null),
    env({
      fetch: async (url, init) => {
        calls.push([url, init.method]);
        return new Response(JSON.stringify(answer), { status: 200 });
      },
    }),
  );
  assert.deepEqual(calls, [
    ["https://billing.example.com/api/entitlements/articles/counted/read/?token=1", "POST"],
  ]);
  assert.equal(response.headers.get("X-Paywall-Decision"), "full");
  assert.match(response.headers.get("Set-Cookie"), new RegExp(`^ent_token=${answer.token};`));
  const claims = await verifyToken(answer.token, fixtures.jwks, options());
  assert.equal(decide(claims, "counted"), "full");
});
