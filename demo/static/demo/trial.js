/* The trial: a card through Stripe.js (a SetupIntent confirmed in the browser, 3-D
 * Secure included), then POST /api/billing/trial/ with the payment method's id only:
 * no card number ever reaches our service. A reader whose trial is behind them
 * subscribes instead (confirmCardPayment when the first charge needs authentication). */
(function () {
  "use strict";
  const D = window.Demo;
  const form = document.getElementById("trial-form");
  const errorNode = document.getElementById("trial-error");
  const status = document.getElementById("trial-status");
  const submit = document.getElementById("trial-submit");

  if (!D.token()) {
    document.getElementById("trial-signin").hidden = false;
    return;
  }
  form.hidden = false;
  const plans = form.querySelector("[data-plans]");
  let offer = null;
  function refresh() {
    D.renderPlans(plans, { selectable: true });
    D.renderOffer(document.getElementById("offer-banner")).then(function (found) {
      offer = found;
    });
  }
  refresh();
  document.addEventListener("demo:country", refresh);

  if (typeof window.Stripe !== "function") {
    D.showError(errorNode, "Stripe.js did not load (DEMO_STRIPE_JS_URL).");
    submit.disabled = true;
    return;
  }
  const stripe = window.Stripe(form.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");

  function location_() {
    const where = { country: D.country() };
    const postal = document.getElementById("postal-code").value.trim();
    if (postal) where.postal_code = postal;
    return where;
  }

  async function subscribe(body) {
    const subscription = await D.api("POST", "/api/billing/subscribe/", body);
    if (subscription.status === "incomplete" && subscription.client_secret) {
      const result = await stripe.confirmCardPayment(subscription.client_secret);
      if (result.error) throw new Error(result.error.message);
    }
    return subscription;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    D.hideError(errorNode);
    const chosen = form.querySelector("input[name=plan]:checked");
    if (!chosen) {
      D.showError(errorNode, "Choose a plan.");
      return;
    }
    submit.disabled = true;
    try {
      status.textContent = "Checking your card…";
      const intent = await D.api("POST", "/api/billing/setup-intent/");
      const result = await stripe.confirmCardSetup(intent.client_secret, {
        payment_method: { card: card },
      });
      if (result.error) throw new Error(result.error.message);
      const paymentMethod = result.setupIntent.payment_method;
      const body = Object.assign(
        {
          plan: chosen.value,
          payment_method: typeof paymentMethod === "string" ? paymentMethod : paymentMethod.id,
        },
        location_()
      );
      if (offer) body.offer = offer.code;
      status.textContent = "Starting your trial…";
      try {
        await D.api("POST", "/api/billing/trial/", body);
      } catch (error) {
        if (error.code !== "trial_already_used") throw error;
        status.textContent = "Your free trial is behind you: subscribing…";
        await subscribe(body);
      }
      status.textContent = "Welcome! You have unlimited access.";
      location.assign("/demo/account/");
    } catch (error) {
      status.textContent = "";
      D.showError(errorNode, error);
    } finally {
      submit.disabled = false;
    }
  });
})();
