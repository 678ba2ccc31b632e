/* The account page: the subscription (plan, status, trial end or next charge),
 * invoices, change plan, cancel with a reason and the save offer, pause, resume,
 * newsletter preferences, sign out and delete the account. */
(function () {
  "use strict";
  const D = window.Demo;
  const $ = function (id) {
    return document.getElementById(id);
  };
  const errorNode = $("account-error");
  const status = $("account-status");
  let subscription = null;
  let plans = [];
  let reasons = [];

  function planOf(code) {
    return plans.find(function (plan) {
      return plan.code === code;
    });
  }

  function discountText(discount) {
    if (!discount) return "none";
    const off = discount.percent_off
      ? discount.percent_off + "% off"
      : (discount.amount_off / 100).toFixed(2) + " " + String(discount.currency).toUpperCase() + " off";
    return off + (discount.ends_at ? " until " + D.formatDate(discount.ends_at) : "") + " (" + discount.offer + ")";
  }

  function renderSubscription() {
    const live = subscription && !["canceled", "incomplete_expired"].includes(subscription.status);
    $("no-subscription").hidden = Boolean(live);
    $("subscription").hidden = !subscription;
    $("subscription-actions").hidden = !live;
    if (!subscription) return;
    const plan = planOf(subscription.plan);
    const invoice = subscription.latest_invoice;
    $("sub-plan").textContent = plan ? plan.name + ", " + D.price(plan) : subscription.plan;
    let state = subscription.status;
    if (subscription.cancel_at_period_end) {
      state += ": cancels on " + D.formatDate(subscription.current_period_end);
    }
    if (subscription.pause_collection) {
      state += ": paused until " + D.formatDate(subscription.pause_collection.resumes_at);
    }
    $("sub-status").textContent = state;
    const amount = plan ? D.price(plan) : invoice ? invoice.total_display : "";
    if (subscription.status === "trialing") {
      $("sub-next-label").textContent = "Trial ends";
      $("sub-next").textContent =
        D.formatDate(subscription.trial_end) + (amount ? "; then " + amount : "");
    } else if (!live) {
      $("sub-next-label").textContent = "Ended";
      $("sub-next").textContent = D.formatDate(subscription.ended_at);
    } else if (subscription.cancel_at_period_end) {
      $("sub-next-label").textContent = "Next charge";
      $("sub-next").textContent = "none: access until " + D.formatDate(subscription.current_period_end);
    } else {
      $("sub-next-label").textContent = "Next charge";
      $("sub-next").textContent =
        D.formatDate(subscription.current_period_end) + (amount ? ": " + amount : "") +
        (invoice ? " (last invoice " + invoice.total_display + ", tax " + invoice.tax_display + ")" : "");
    }
    $("sub-discount").textContent = discountText(subscription.discount);
    $("change-plan").replaceChildren(
      ...plans
        .filter(function (other) {
          return other.code !== subscription.plan;
        })
        .map(function (other) {
          return D.el("option", { value: other.code, text: other.name + ", " + D.price(other) });
        })
    );
  }

  function renderInvoices(page) {
    const rows = page.results.map(function (invoice) {
      return D.el("tr", {}, [
        D.el("td", { text: D.formatDate(invoice.created) }),
        D.el("td", { text: invoice.number || "–" }),
        D.el("td", { text: invoice.total_display }),
        D.el("td", { text: invoice.status }),
      ]);
    });
    $("invoices").querySelector("tbody").replaceChildren(...rows);
  }

  function renderReasons() {
    const chosen = $("cancel-reason").value;
    $("cancel-reason").replaceChildren(
      D.el("option", { value: "", text: "Choose a reason" }),
      ...reasons.map(function (reason) {
        return D.el("option", { value: reason.reason, text: reason.label });
      })
    );
    $("cancel-reason").value = chosen;
  }

  function saveOfferFor(code) {
    const reason = reasons.find(function (r) {
      return r.reason === code;
    });
    const offer = reason && reason.save_offer;
    $("save-offer").hidden = !offer;
    if (!offer) return;
    $("save-offer-text").textContent =
      offer.kind === "pause"
        ? "Before you go: pause for " + offer.months + " month" + (offer.months > 1 ? "s" : "") + " instead, nothing charged meanwhile."
        : "Before you go: " + (offer.offer.headline || "") + " " + (offer.offer.terms || "");
  }

  async function load() {
    try {
      subscription = await D.api("GET", "/api/billing/subscription/");
    } catch (error) {
      if (error.code !== "no_subscription") throw error;
      subscription = null;
    }
    plans = await D.plans();
    renderSubscription();
    renderInvoices(await D.api("GET", "/api/billing/invoices/"));
    if (subscription) {
      reasons = await D.api("GET", "/api/billing/subscription/cancel-options/");
      renderReasons();
    }
  }

  // Every action: call, say what happened, read everything again.
  async function act(method, path, body, done) {
    D.hideError(errorNode);
    status.textContent = "";
    try {
      await D.api(method, path, body);
      await load();
      status.textContent = done;
    } catch (error) {
      D.showError(errorNode, error);
    }
  }

  async function preferences() {
    const answer = await D.api("GET", "/api/newsletters/preferences/");
    D.renderLists($("prefs-lists"), answer.newsletters, function (newsletter) {
      return newsletter.subscribed;
    });
  }

  function wire() {
    $("change-plan-form").addEventListener("submit", function (event) {
      event.preventDefault();
      act("POST", "/api/billing/subscription/change-plan/", { plan: $("change-plan").value }, "Plan changed.");
    });
    $("pause-form").addEventListener("submit", function (event) {
      event.preventDefault();
      act("POST", "/api/billing/subscription/pause/", { months: Number($("pause-months").value) }, "Paused.");
    });
    $("resume").addEventListener("click", function () {
      act("POST", "/api/billing/subscription/resume/", undefined, "Resumed.");
    });
    $("cancel-reason").addEventListener("change", function () {
      saveOfferFor($("cancel-reason").value);
    });
    $("save-offer-accept").addEventListener("click", function () {
      act("POST", "/api/billing/subscription/save-offer/", { reason: $("cancel-reason").value }, "Offer applied: thank you for staying.");
    });
    $("cancel-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const body = { reason: $("cancel-reason").value, at_period_end: true };
      const comment = $("cancel-comment").value.trim();
      if (comment) body.comment = comment;
      act("POST", "/api/billing/subscription/cancel/", body, "Cancelled: you keep access until the end of the period.");
    });
    $("prefs-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      const boxes = Array.from($("prefs-lists").querySelectorAll("input[type=checkbox]"));
      await act(
        "PUT",
        "/api/newsletters/preferences/",
        { newsletters: boxes.map(function (box) { return { slug: box.value, subscribed: box.checked }; }) },
        "Preferences saved."
      );
      preferences();
    });
    $("signout").addEventListener("click", async function () {
      try {
        await D.api("POST", "/api/auth/logout/");
      } finally {
        D.setToken(null);
        location.assign("/demo/");
      }
    });
    $("delete-form").addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await D.api("DELETE", "/api/auth/user/");
        D.setToken(null);
        location.assign("/demo/");
      } catch (error) {
        D.showError(errorNode, error);
      }
    });
    document.addEventListener("demo:country", function () {
      load().catch(function (error) {
        D.showError(errorNode, error);
      });
    });
  }

  async function start() {
    if (!D.token()) {
      $("account-signin").hidden = false;
      return;
    }
    let user;
    try {
      user = await D.api("GET", "/api/auth/user/");
    } catch (error) {
      $("account-signin").hidden = false;
      return;
    }
    $("account").hidden = false;
    $("account-email").textContent = user.email;
    wire();
    try {
      await load();
      await preferences();
    } catch (error) {
      D.showError(errorNode, error);
    }
  }

  start();
})();
