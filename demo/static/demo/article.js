/* The article page: record the read, then show the meter, the registration wall or
 * the paywall (with the offer and prices), the newsletter box and the edge token. */
(function () {
  "use strict";
  const D = window.Demo;
  const story = document.querySelector("[data-article-id]");

  function meterText(read) {
    if (read.access === "unlimited") return "Unlimited access: thank you for subscribing.";
    if (read.remaining === 0) return "This is your last free article this month";
    if (read.remaining === 1) return "1 free article left this month";
    return read.remaining + " free articles left this month";
  }

  function showPaywall() {
    document.getElementById("paywall").hidden = false;
    const plans = document.querySelector("#paywall [data-plans]");
    D.renderOffer(document.getElementById("offer-banner"));
    D.renderPlans(plans);
    document.addEventListener("demo:country", function () {
      D.renderOffer(document.getElementById("offer-banner"));
      D.renderPlans(plans);
    });
  }

  // The edge token's claims, as a CDN worker reads them (without verifying here:
  // examples/edge/ verifies them against /.well-known/jwks.json).
  function showToken(read) {
    if (!read.token) return;
    const payload = read.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    let claims;
    try {
      claims = JSON.stringify(JSON.parse(atob(payload)), null, 2);
    } catch (error) {
      claims = "(unreadable)";
    }
    document.getElementById("token-expires").textContent = read.expires_at;
    document.getElementById("token-claims").textContent = claims;
    document.getElementById("token-raw").textContent = read.token;
  }

  async function read() {
    const id = encodeURIComponent(story.dataset.articleId);
    let answer;
    try {
      answer = await D.api("POST", "/api/entitlements/articles/" + id + "/read/?token=1");
    } catch (error) {
      D.showError(document.getElementById("read-error"), error);
      story.dataset.reason = "error";
      return;
    }
    const meter = document.getElementById("meter");
    if (answer.granted) {
      document.getElementById("paywalled-content").hidden = false;
      meter.textContent = meterText(answer);
    } else if (answer.reason === "registration_required") {
      document.getElementById("registration-wall").hidden = false;
    } else {
      if (answer.reason === "paused") meter.textContent = "Your subscription is paused.";
      showPaywall();
    }
    story.dataset.reason = answer.reason;
    showToken(answer);
  }

  async function newsletterBox() {
    const form = document.getElementById("newsletter-form");
    const fieldset = document.getElementById("newsletter-lists");
    const result = document.getElementById("newsletter-result");
    try {
      const lists = (await D.api("GET", "/api/newsletters/")).filter(function (newsletter) {
        return newsletter.audience === "all";
      });
      D.renderLists(fieldset, lists, function (newsletter) {
        return newsletter.frequency === "daily";
      });
      if (!lists.length) {
        form.hidden = true;
        result.textContent = "No newsletters yet.";
        return;
      }
    } catch (error) {
      result.textContent = error.message;
      return;
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const newsletters = D.tickedSlugs(fieldset);
      if (!newsletters.length) {
        result.textContent = "Tick a newsletter first.";
        return;
      }
      try {
        await D.api("POST", "/api/newsletters/subscribe/", {
          email: document.getElementById("newsletter-email").value,
          newsletters: newsletters,
          source_page: location.href,
        });
        result.textContent = "Thanks! Check your inbox to confirm your sign-up.";
        form.reset();
      } catch (error) {
        result.textContent = error.message;
      }
    });
  }

  read();
  newsletterBox();
})();
