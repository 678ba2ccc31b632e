/* Register or sign in: the API key goes to localStorage; the reader id travels with
 * the request (X-Reader-Id), so the anonymous meter merges into the account's. */
(function () {
  "use strict";
  const D = window.Demo;

  function done(answer, errorNode) {
    if (!answer || !answer.key) {
      // ACCOUNT_EMAIL_VERIFICATION=mandatory: no key until the address is verified.
      D.showError(errorNode, (answer && answer.detail) || "Check your inbox to verify your address.");
      return;
    }
    D.setToken(answer.key);
    location.assign(D.nextPath("/demo/trial/"));
  }

  async function offerNewsletters() {
    const fieldset = document.getElementById("register-newsletters");
    try {
      const lists = (await D.api("GET", "/api/newsletters/")).filter(function (newsletter) {
        return newsletter.audience === "all" && newsletter.default_at_registration;
      });
      D.renderLists(fieldset, lists, function () {
        return true; // offered as visibly ticked boxes (docs/api.md, "At registration")
      });
    } catch (error) {
      fieldset.hidden = true;
    }
  }

  document.getElementById("register-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const errorNode = document.getElementById("register-error");
    D.hideError(errorNode);
    try {
      done(
        await D.api("POST", "/api/auth/registration/", {
          email: document.getElementById("register-email").value,
          password1: document.getElementById("register-password1").value,
          password2: document.getElementById("register-password2").value,
          newsletters: D.tickedSlugs(document.getElementById("register-newsletters")),
        }),
        errorNode
      );
    } catch (error) {
      D.showError(errorNode, error);
    }
  });

  document.getElementById("signin-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const errorNode = document.getElementById("signin-error");
    D.hideError(errorNode);
    try {
      done(
        await D.api("POST", "/api/auth/login/", {
          email: document.getElementById("signin-email").value,
          password: document.getElementById("signin-password").value,
        }),
        errorNode
      );
    } catch (error) {
      D.showError(errorNode, error);
    }
  });

  offerNewsletters();
})();
