/* The demo's shared helpers: how a frontend talks to the REST API (docs/api.md).
 *
 * - Every call is fetch() with credentials: "include", so the anonymous reader's
 *   reader_id cookie travels too, also from another origin listed in
 *   CORS_ALLOWED_ORIGINS (the cookie then needs READER_ID_COOKIE_SAMESITE=None).
 * - The reader id the API hands back in X-Reader-Id is kept in localStorage and
 *   sent back as X-Reader-Id (the header wins over the cookie): the meter follows
 *   the reader even where third-party cookies are blocked.
 * - After sign-in the API key is kept in localStorage and sent as
 *   "Authorization: Token <key>".
 * - The reader's country (the selector in the header) is kept in localStorage and
 *   sent as `country`, which picks the currency and the tax.
 */
(function () {
  "use strict";

  const API = document.body.dataset.apiBase || "";
  const TOKEN_KEY = "demo.token";
  const READER_KEY = "demo.readerId";
  const COUNTRY_KEY = "demo.country";

  class ApiError extends Error {
    constructor(status, data) {
      super(data.detail || "The service answered " + status + ".");
      this.status = status;
      this.code = data.code;
      this.fields = data.fields;
    }
  }

  function token() {
    return localStorage.getItem(TOKEN_KEY);
  }

  function setToken(key) {
    if (key) localStorage.setItem(TOKEN_KEY, key);
    else localStorage.removeItem(TOKEN_KEY);
  }

  function country() {
    return localStorage.getItem(COUNTRY_KEY) || "US";
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const key = token();
    if (key) headers.Authorization = "Token " + key;
    const readerId = localStorage.getItem(READER_KEY);
    if (readerId) headers["X-Reader-Id"] = readerId;
    const response = await fetch(API + path, {
      method: method,
      headers: headers,
      credentials: "include",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const handedBack = response.headers.get("X-Reader-Id");
    if (handedBack) localStorage.setItem(READER_KEY, handedBack);
    if (response.status === 204) return null;
    const data = await response.json().catch(function () {
      return {};
    });
    if (!response.ok) {
      if (data.code === "invalid_reader_id" && readerId) {
        localStorage.removeItem(READER_KEY); // not ours (any more): start a new meter
        return api(method, path, body);
      }
      if (data.code === "authentication_failed" && key) setToken(null); // signed out elsewhere
      throw new ApiError(response.status, data);
    }
    return data;
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(function ([name, value]) {
      if (value === false || value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      node.append(child);
    });
    return node;
  }

  function showError(node, error) {
    node.textContent = error && error.message ? error.message : String(error);
    node.hidden = false;
  }

  function hideError(node) {
    node.textContent = "";
    node.hidden = true;
  }

  function formatDate(iso) {
    if (!iso) return "–";
    return new Date(iso).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
  }

  function price(plan) {
    return (
      plan.display + " a " + plan.interval + (plan.tax_behavior === "inclusive" ? " incl. VAT" : "")
    );
  }

  // Prices in the reader's currency: GET /api/billing/plans/?country=XX. A signed-in
  // reader whose currency is locked (a live subscription in another one) gets theirs.
  async function plans() {
    try {
      return await api("GET", "/api/billing/plans/?country=" + encodeURIComponent(country()));
    } catch (error) {
      if (error.code === "currency_locked") return api("GET", "/api/billing/plans/");
      throw error;
    }
  }

  async function renderPlans(container, options) {
    const selectable = options && options.selectable;
    let list;
    try {
      list = await plans();
    } catch (error) {
      container.replaceChildren(el("p", { class: "error", text: error.message }));
      return [];
    }
    if (!list.length) {
      container.replaceChildren(el("p", { class: "muted", text: "No plans on sale yet." }));
      return list;
    }
    const items = list.map(function (plan, index) {
      const text = plan.name + ": " + price(plan);
      if (!selectable) return el("li", { class: "plan", "data-plan": plan.code, text: text });
      const id = "plan-" + plan.code;
      return el("p", { class: "plan" }, [
        el("input", { type: "radio", name: "plan", id: id, value: plan.code, checked: index === 0 }),
        " ",
        el("label", { for: id, class: "inline-label", text: text }),
      ]);
    });
    container.replaceChildren(selectable ? el("div", {}, items) : el("ul", {}, items));
    return list;
  }

  // The configured offer's banner: GET /api/billing/offers/<code>/ (public).
  async function renderOffer(node) {
    const code = document.body.dataset.offerCode;
    if (!code) return null;
    try {
      const offer = await api(
        "GET",
        "/api/billing/offers/" + encodeURIComponent(code) + "/?country=" + encodeURIComponent(country())
      );
      const parts = [el("strong", { text: offer.headline || "Limited-time offer" })];
      if (offer.terms) parts.push(" ", offer.terms);
      parts.push(" ", el("span", { class: "code", text: "Code " + offer.code }));
      offer.prices.forEach(function (entry) {
        if (entry.discounted_display) {
          parts.push(el("br"), entry.plan + ": " + entry.display + " → " + entry.discounted_display);
        }
      });
      node.replaceChildren(...parts);
      node.hidden = false;
      return offer;
    } catch (error) {
      node.hidden = true; // over, or not found: no banner
      return null;
    }
  }

  // Newsletter checkboxes: [{slug, name, frequency}], ticked as `ticked` says.
  function renderLists(fieldset, newsletters, ticked) {
    const legend = fieldset.querySelector("legend");
    fieldset.replaceChildren(legend);
    newsletters.forEach(function (newsletter) {
      const id = fieldset.id + "-" + newsletter.slug;
      fieldset.append(
        el("p", {}, [
          el("input", {
            type: "checkbox",
            id: id,
            value: newsletter.slug,
            checked: Boolean(ticked(newsletter)),
          }),
          " ",
          el("label", {
            for: id,
            class: "inline-label",
            text: newsletter.name + " (" + newsletter.frequency + ")",
          }),
        ])
      );
    });
    fieldset.hidden = newsletters.length === 0;
  }

  function tickedSlugs(fieldset) {
    return Array.from(fieldset.querySelectorAll("input[type=checkbox]:checked")).map(function (box) {
      return box.value;
    });
  }

  // Where to go after signing in: ?next=, only a path of this demo.
  function nextPath(fallback) {
    const next = new URLSearchParams(location.search).get("next");
    return next && next.startsWith("/demo/") ? next : fallback;
  }

  function setUp() {
    const select = document.getElementById("country");
    select.value = country();
    select.addEventListener("change", function () {
      localStorage.setItem(COUNTRY_KEY, select.value);
      document.dispatchEvent(new CustomEvent("demo:country"));
    });
    document.querySelectorAll("a[data-next]").forEach(function (link) {
      link.href = link.pathname + "?next=" + encodeURIComponent(location.pathname);
    });
    if (token()) document.getElementById("nav-signin").textContent = "Switch account";
  }

  setUp();
  window.Demo = {
    api: api,
    ApiError: ApiError,
    token: token,
    setToken: setToken,
    country: country,
    el: el,
    showError: showError,
    hideError: hideError,
    formatDate: formatDate,
    price: price,
    plans: plans,
    renderPlans: renderPlans,
    renderOffer: renderOffer,
    renderLists: renderLists,
    tickedSlugs: tickedSlugs,
    nextPath: nextPath,
  };
})();
