/*
 * A stand-in for Stripe.js (https://js.stripe.com/v3/), served by the Stripe emulator at
 * /v3/: the subset a paywall page uses (Stripe(), elements().create('card'), mount, on,
 * createPaymentMethod, confirmCardSetup, confirmCardPayment, retrieve*Intent), with
 * Stripe.js's signatures and results ({setupIntent} / {paymentIntent} / {error}). It calls
 * the emulator it was loaded from with the publishable key, as Stripe.js calls Stripe:
 * the card number goes only there (POST /v1/payment_methods card[number]=...). The card
 * Element is plain inputs without `name` (never submitted with a form); a card needing
 * 3-D Secure opens the emulator's challenge page in a modal iframe.
 * Reference: stripe_emulator/README.md, "Stripe.js stand-in (/v3/)".
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var API = script && script.src ? new URL(script.src).origin : window.location.origin;
  var EVENT = "stripe-emulator-3ds-complete";

  // -- Stripe's form encoding: a[b][c]=v ----------------------------------------
  function encode(params) {
    var parts = [];
    function add(prefix, value) {
      if (value === undefined || value === null) { return; }
      if (typeof value === "object") {
        Object.keys(value).forEach(function (key) {
          add(prefix ? prefix + "[" + key + "]" : key, value[key]);
        });
      } else {
        parts.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(value)));
      }
    }
    add("", params);
    return parts.join("&");
  }

  function IntegrationError(message) {
    var error = new Error(message); error.name = "IntegrationError"; return error;
  }

  // -- card validation, with Stripe.js's messages ------------------------------
  function digits(text) { return (text || "").replace(/\D/g, ""); }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var d = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  var BRANDS = [[/^4/, "visa"], [/^(5[1-5]|2[2-7])/, "mastercard"], [/^3[47]/, "amex"],
    [/^6(011|5)/, "discover"]];
  function brandOf(number) {
    var found = BRANDS.filter(function (b) { return b[0].test(number); })[0];
    return found ? found[1] : "unknown";
  }

  // "MM / YY" or "MM / YYYY", as typed.
  function expiryYear(expiry) {
    return expiry.length >= 6 ? Number(expiry.slice(2, 6)) : 2000 + Number(expiry.slice(2, 4));
  }

  function fieldError(code, message) {
    return { type: "validation_error", code: code, message: message };
  }

  function checkCard(values) {
    var number = digits(values.number);
    var expiry = digits(values.expiry);
    var cvc = digits(values.cvc);
    var brand = brandOf(number);
    var wanted = brand === "amex" ? 15 : 16;
    if (number.length < wanted) { return fieldError("incomplete_number", "Your card number is incomplete."); }
    if (!luhn(number)) { return fieldError("invalid_number", "Your card number is invalid."); }
    if (expiry.length < 4) { return fieldError("incomplete_expiry", "Your card's expiration date is incomplete."); }
    var month = Number(expiry.slice(0, 2));
    var year = expiryYear(expiry);
    var now = new Date();
    if (month < 1 || month > 12) { return fieldError("invalid_expiry_month", "Your card's expiration date is invalid."); }
    if (year < now.getFullYear()) {
      return fieldError("invalid_expiry_year_past", "Your card's expiration year is in the past.");
    }
    if (year === now.getFullYear() && month < now.getMonth() + 1) {
      return fieldError("invalid_expiry_month_past", "Your card's expiration date is in the past.");
    }
    if (cvc.length < (brand === "amex" ? 4 : 3)) { return fieldError("incomplete_cvc", "Your card's security code is incomplete."); }
    return null;
  }

  // -- the card Element ---------------------------------------------------------
  var FIELDS = [  // [key, Stripe's field name, label, placeholder, autocomplete, max length]
    ["number", "cardNumber", "Card number", "1234 1234 1234 1234", "cc-number", 23],
    ["expiry", "cardExpiry", "Expiration date (MM / YY)", "MM / YY", "cc-exp", 7],
    ["cvc", "cardCvc", "Security code (CVC)", "CVC", "cc-csc", 4]
  ].map(function (f) {
    return { key: f[0], stable: f[1], label: f[2], placeholder: f[3], autocomplete: f[4], max: f[5] };
  });

  function CardElement(options) {
    this._options = options || {};
    this._handlers = {};
    this._container = null;
    this._inputs = {};
    this._destroyed = false;
  }

  CardElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler); return this;
  };
  CardElement.prototype.off = function (event, handler) {
    var kept = (this._handlers[event] || []).filter(function (h) { return handler && h !== handler; });
    this._handlers[event] = kept;
    return this;
  };
  CardElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (handler) { handler(payload); });
  };

  CardElement.prototype.mount = function (target) {
    if (this._destroyed) { throw IntegrationError("This Element has already been destroyed."); }
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) {
      throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements.");
    }
    this.unmount();
    var self = this;
    var wrapper = document.createElement("div");
    wrapper.className = "__PrivateStripeElement";
    wrapper.style.cssText = "display:flex;gap:8px;";
    FIELDS.forEach(function (field) {
      var input = document.createElement("input");
      input.type = "text";
      input.inputMode = "numeric";
      input.autocomplete = field.autocomplete;
      input.placeholder = field.placeholder;
      input.maxLength = field.max;
      input.setAttribute("aria-label", field.label);
      input.setAttribute("data-elements-stable-field-name", field.stable);
      input.style.cssText = "flex:" + (field.key === "number" ? 3 : 1) +
        ";min-width:0;border:0;font:inherit;background:transparent;color:inherit;";
      input.addEventListener("input", function () { self._changed(); });
      ["focus", "blur"].forEach(function (name) {
        input.addEventListener(name, function () {
          container.classList.toggle("StripeElement--focus", name === "focus");
          self._emit(name, { elementType: "card" });
        });
      });
      self._inputs[field.key] = input;
      wrapper.appendChild(input);
    });
    container.appendChild(wrapper);
    container.classList.add("StripeElement", "StripeElement--empty");
    this._container = container;
    this._wrapper = wrapper;
    setTimeout(function () { self._emit("ready", { elementType: "card" }); }, 0);
  };

  CardElement.prototype._values = function () {
    var inputs = this._inputs, values = {};
    FIELDS.forEach(function (f) { values[f.key] = inputs[f.key] ? inputs[f.key].value : ""; });
    return values;
  };

  CardElement.prototype._changed = function () {
    var values = this._values();
    var empty = !(values.number || values.expiry || values.cvc);
    var error = checkCard(values);
    var number = digits(values.number);
    // Like Stripe.js: an error is shown only once a field is wrong, not while incomplete.
    var shown = error && !/^incomplete_/.test(error.code) ? error : undefined;
    var list = this._container.classList;
    list.toggle("StripeElement--empty", empty);
    list.toggle("StripeElement--complete", !error);
    list.toggle("StripeElement--invalid", Boolean(shown));
    this._emit("change", {
      elementType: "card", empty: empty, complete: !error, error: shown,
      brand: number ? brandOf(number) : "unknown", value: { postalCode: "" }
    });
  };

  CardElement.prototype.unmount = function () {
    if (this._wrapper && this._wrapper.parentNode) {
      this._wrapper.parentNode.removeChild(this._wrapper);
      ["", "--empty", "--complete", "--invalid", "--focus"].forEach(function (suffix) {
        this._container.classList.remove("StripeElement" + suffix);
      }, this);
    }
    this._wrapper = null;
  };
  CardElement.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._inputs = {};
  };
  CardElement.prototype.clear = function () {
    var inputs = this._inputs;
    Object.keys(inputs).forEach(function (key) { inputs[key].value = ""; });
    if (this._container) { this._changed(); }
  };
  CardElement.prototype.focus = function () { if (this._inputs.number) { this._inputs.number.focus(); } };
  CardElement.prototype.blur = function () {
    var active = document.activeElement;
    if (active && this._wrapper && this._wrapper.contains(active)) { active.blur(); }
  };
  CardElement.prototype.update = function (options) { Object.assign(this._options, options || {}); };

  // The card's parameters as Stripe.js sends them, or a validation error.
  CardElement.prototype._card = function () {
    var values = this._values();
    var error = checkCard(values);
    if (error) { return { error: error }; }
    var expiry = digits(values.expiry);
    return {
      card: {
        number: digits(values.number),
        exp_month: Number(expiry.slice(0, 2)),
        exp_year: expiryYear(expiry),
        cvc: digits(values.cvc)
      }
    };
  };

  function Elements(options) {
    this._options = options || {};
    this._elements = {};
  }
  Elements.prototype.create = function (type, options) {
    if (type !== "card") {
      throw IntegrationError("The Stripe emulator's Stripe.js supports only the 'card' Element.");
    }
    if (this._elements.card) {
      throw IntegrationError("Can only create one Element of type card.");
    }
    var element = new CardElement(options);
    this._elements.card = element;
    var elements = this, destroy = element.destroy;
    element.destroy = function () { destroy.call(element); delete elements._elements.card; };
    return element;
  };
  Elements.prototype.getElement = function (type) { return this._elements[type] || null; };
  Elements.prototype.update = function (options) { Object.assign(this._options, options || {}); };

  // -- the API, with the publishable key ----------------------------------------
  function Client(key, options) {
    if (typeof key !== "string" || !/^pk_(test|live)_/.test(key)) {
      throw IntegrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_...).");
    }
    this._key = key;
    this._options = options || {};
  }

  Client.prototype._request = function (method, path, params) {
    var query = encode(Object.assign({ key: this._key }, params || {}));
    var init = { method: method, credentials: "omit" };
    var url = API + path;
    if (method === "GET") {
      url += "?" + query;
    } else {
      init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
      init.body = query;
    }
    return fetch(url, init).then(function (response) { return response.json(); }).then(null, function () {
      return { error: { type: "api_connection_error",
        message: "We could not connect to Stripe (the emulator at " + API + ")." } };
    });
  };

  Client.prototype.elements = function (options) { return new Elements(options); };

  Client.prototype.createPaymentMethod = function (data, element, extra) {
    if (typeof data === "string") {  // the older createPaymentMethod('card', element, data)
      data = Object.assign({ type: data, card: element }, extra || {});
    }
    if (!data || data.type !== "card") {
      return Promise.reject(IntegrationError("createPaymentMethod: only {type: 'card'} is supported."));
    }
    var card = data.card;
    var params = { type: "card", billing_details: data.billing_details, metadata: data.metadata };
    if (card instanceof CardElement) {
      var built = card._card();
      if (built.error) { return Promise.resolve({ error: built.error }); }
      params.card = built.card;
    } else if (card && card.token) {
      params.card = { token: card.token };
    } else {
      return Promise.reject(IntegrationError("createPaymentMethod: give a card Element as `card`."));
    }
    return this._request("POST", "/v1/payment_methods", params).then(function (body) {
      return body.error ? { error: body.error } : { paymentMethod: body };
    });
  };

  function splitSecret(clientSecret, prefix, method) {
    var match = typeof clientSecret === "string" &&
      clientSecret.match(new RegExp("^(" + prefix + "_[A-Za-z0-9]+)_secret_[A-Za-z0-9_-]+$"));
    if (!match) {
      throw IntegrationError("Invalid value for " + method + " intent secret: value should be a " +
        "client secret of the form ${id}_secret_${secret}. You specified: " + JSON.stringify(clientSecret) + ".");
    }
    return match[1];
  }

  // The kinds of intents: where they live and how Stripe.js names them in results.
  var SETUP = { prefix: "seti", path: "/v1/setup_intents/", result: "setupIntent",
    field: "setup_intent", lastError: "last_setup_error" };
  var PAYMENT = { prefix: "pi", path: "/v1/payment_intents/", result: "paymentIntent",
    field: "payment_intent", lastError: "last_payment_error" };

  Client.prototype._confirm = function (kind, method, clientSecret, data, options) {
    var self = this;
    var id;
    try { id = splitSecret(clientSecret, kind.prefix, method); } catch (e) { return Promise.reject(e); }
    data = data || {};
    var paymentMethod = data.payment_method;
    var ready;
    if (paymentMethod && typeof paymentMethod === "object") {
      ready = self.createPaymentMethod({
        type: "card", card: paymentMethod.card, billing_details: paymentMethod.billing_details,
        metadata: paymentMethod.metadata
      }).then(function (result) {
        if (result.error) { throw { result: result }; }
        return result.paymentMethod.id;
      });
    } else {
      ready = Promise.resolve(paymentMethod || undefined);
    }
    return ready.then(function (pmId) {
      var params = { client_secret: clientSecret, use_stripe_sdk: "true" };
      if (pmId) { params.payment_method = pmId; }
      if (data.return_url) { params.return_url = data.return_url; }
      return self._request("POST", kind.path + id + "/confirm", params);
    }).then(function (body) {
      if (body.error) { return { error: body.error }; }
      if (body.status === "requires_action" && !(options && options.handleActions === false)) {
        return self._challenge(kind, body, clientSecret);
      }
      return self._outcome(kind, body);
    }, function (failure) {
      if (failure && failure.result) { return failure.result; }
      throw failure;
    });
  };

  Client.prototype._outcome = function (kind, intent) {
    var result = {};
    if (intent.status === "requires_payment_method" && intent[kind.lastError]) {
      var error = Object.assign({}, intent[kind.lastError]);
      error[kind.field] = intent;
      result.error = error;
      return result;
    }
    result[kind.result] = intent;
    return result;
  };

  // 3-D Secure: the emulator's challenge page in a modal; then the intent read again.
  Client.prototype._challenge = function (kind, intent, clientSecret) {
    var self = this;
    return new Promise(function (resolve) {
      var overlay = document.createElement("div");
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", "3D Secure authentication");
      overlay.setAttribute("data-stripe-emulator", "challenge");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:flex;" +
        "align-items:center;justify-content:center;background:rgba(0,0,0,0.55);";
      var frame = document.createElement("iframe");
      frame.name = "stripe-challenge-frame";
      frame.title = "3D Secure authentication";
      frame.src = API + "/v3/challenge/" + encodeURIComponent(intent.id) +
        "?client_secret=" + encodeURIComponent(clientSecret);
      frame.style.cssText = "width:min(500px,94vw);height:min(420px,90vh);border:0;" +
        "border-radius:8px;background:#fff;";
      overlay.appendChild(frame);
      function onMessage(event) {
        var message = event.data || {};
        if (event.origin !== API || message.type !== EVENT || message.intent !== intent.id) { return; }
        window.removeEventListener("message", onMessage);
        overlay.parentNode.removeChild(overlay);
        self._request("GET", kind.path + intent.id, { client_secret: clientSecret }).then(function (body) {
          resolve(body.error ? { error: body.error } : self._outcome(kind, body));
        });
      }
      window.addEventListener("message", onMessage);
      document.body.appendChild(overlay);
    });
  };

  Client.prototype.confirmCardSetup = function (secret, data, options) {
    return this._confirm(SETUP, "stripe.confirmCardSetup", secret, data, options); };
  Client.prototype.confirmCardPayment = function (secret, data, options) {
    return this._confirm(PAYMENT, "stripe.confirmCardPayment", secret, data, options); };

  Client.prototype._retrieve = function (kind, method, clientSecret) {
    var id;
    try { id = splitSecret(clientSecret, kind.prefix, method); } catch (e) { return Promise.reject(e); }
    return this._request("GET", kind.path + id, { client_secret: clientSecret }).then(function (body) {
      if (body.error) { return { error: body.error }; }
      var result = {};
      result[kind.result] = body;
      return result;
    });
  };
  Client.prototype.retrieveSetupIntent = function (secret) {
    return this._retrieve(SETUP, "stripe.retrieveSetupIntent", secret); };
  Client.prototype.retrievePaymentIntent = function (secret) {
    return this._retrieve(PAYMENT, "stripe.retrievePaymentIntent", secret); };

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) { return new Stripe(key, options); }
    Client.call(this, key, options);
  }
  Stripe.prototype = Client.prototype;
  Stripe.version = 3;
  Stripe.emulator = API;
  window.Stripe = Stripe;
}());
