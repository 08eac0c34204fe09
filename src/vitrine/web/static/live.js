// Live shopping pages: the player (hls.js, or a poster when no stream answers), the event
// stream (server-sent events; the browser resumes with Last-Event-ID), comments and likes.
// Everything a viewer typed is inserted with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) return;
  var role = root.dataset.role;
  var csrf = root.dataset.csrf;
  var sessionId = root.dataset.session;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Words and prices in the page's language: the server puts the translations on the root.
  function say(key, fallback) { return root.dataset["say" + key] || fallback; }
  function money(minor, currency, fallback) {
    try {
      return new Intl.NumberFormat(root.dataset.lang || "en", { style: "currency", currency: currency })
        .format(minor / 100);
    } catch (_error) { return fallback; }
  }
  function unavailable(reason) {
    if (reason === "the deal is sold out") return say("SoldOut", reason);
    if (reason === "the deal has ended") return say("Ended", reason);
    return reason;
  }

  function testid(name) { return root.querySelector('[data-testid="' + name + '"]'); }

  // --- the player ---------------------------------------------------------------------------
  function showPoster(video) {
    var poster = root.querySelector(".poster");
    if (video) video.hidden = true;
    if (poster) poster.hidden = false;
  }

  function startPlayer() {
    var video = document.getElementById("player");
    if (!video) return;
    var src = video.dataset.src;
    if (!src) { showPoster(video); return; }
    video.addEventListener("error", function () { showPoster(video); });
    var isHls = /\.m3u8(\?|$)/.test(src);
    if (!isHls || video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    } else if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ manifestLoadingMaxRetry: 2 });
      hls.on(window.Hls.Events.ERROR, function (_event, data) {
        if (data.fatal) { hls.destroy(); showPoster(video); }
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    } else {
      showPoster(video);
    }
    root.querySelectorAll("[data-seek]").forEach(function (button) {
      button.addEventListener("click", function () {
        video.currentTime = Number(button.dataset.seek);
        video.play().catch(function () {});
      });
    });
  }

  // --- rendering events ---------------------------------------------------------------------
  function hidden(name, value) { return el("input", { type: "hidden", name: name, value: value }); }

  function buyForm(deal) {
    var form = el("form", { method: "post", action: "/live/" + sessionId + "/buy" });
    form.appendChild(hidden("csrf_token", csrf));
    form.appendChild(hidden("deal_id", deal.id));
    var button = el("button", { type: "submit", "class": "big-button", "data-testid": "buy",
      "data-deal": deal.id, "data-ends": deal.ends_at }, deal.unavailable ? unavailable(deal.unavailable) : say("Buy", "Buy at the live price"));
    button.disabled = !!deal.unavailable;
    form.appendChild(button);
    return form;
  }

  function pinCard(pin) {
    var card = el("article", { "class": "pin-card", "data-testid": "pin-card", "data-product": pin.product_id });
    if (pin.image) card.appendChild(el("img", { src: pin.image, alt: "" }));
    var body = el("div");
    body.appendChild(el("h2", { "data-testid": "pin-name" }, (pin.names || {})[root.dataset.lang] || pin.name));
    if (pin.deal) {
      var line = el("p", { "class": "deal" });
      line.appendChild(el("strong", { "class": "price", "data-testid": "deal-price" },
        money(pin.deal.price_minor, pin.deal.currency, pin.deal.price)));
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("span", { "class": "was" }, money(pin.price_minor, pin.currency, pin.price)));
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(el("span", { "data-testid": "deal-remaining", "data-deal": pin.deal.id }, String(pin.deal.remaining)));
      line.appendChild(document.createTextNode(" " + say("Left", "left")));
      body.appendChild(line);
      body.appendChild(buyForm(pin.deal));
    } else {
      var plain = el("p");
      plain.appendChild(el("span", { "class": "price" }, money(pin.price_minor, pin.currency, pin.price)));
      plain.appendChild(document.createTextNode(" · "));
      plain.appendChild(el("a", { href: "/products/" + pin.product_id }, say("See", "See the product")));
      body.appendChild(plain);
    }
    card.appendChild(body);
    return card;
  }

  function onPins(data) {
    if (role === "host") return; // the console reloads after the host's own change
    var pins = document.getElementById("pins");
    pins.replaceChildren.apply(pins, data.pins.map(pinCard));
  }

  function onDeal(data) {
    root.querySelectorAll('[data-testid="deal-remaining"][data-deal="' + data.deal_id + '"]').forEach(
      function (node) { node.textContent = String(data.remaining); });
    var ended = new Date(data.ends_at) <= new Date();
    root.querySelectorAll('[data-testid="buy"][data-deal="' + data.deal_id + '"]').forEach(function (button) {
      button.dataset.ends = data.ends_at;
      if (data.remaining <= 0 || ended) {
        button.disabled = true;
        button.textContent = data.remaining <= 0 ? say("SoldOut", "the deal is sold out") : say("Ended", "the deal has ended");
      }
    });
  }

  // A deal's end needs no event: each buy button knows when its deal ends.
  function expireDeals() {
    root.querySelectorAll('[data-testid="buy"][data-ends]').forEach(function (button) {
      if (!button.disabled && new Date(button.dataset.ends) <= new Date()) {
        button.disabled = true;
        button.textContent = say("Ended", "the deal has ended");
      }
    });
  }

  function postForm(action, fields) {
    var body = new URLSearchParams(fields);
    body.set("csrf_token", csrf);
    return fetch(action, { method: "POST", body: body, headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      });
  }

  function moderation(comment) {
    var span = el("span", { "class": "moderation" });
    var remove = el("button", { type: "button", "class": "quiet", "data-testid": "remove-comment" }, "Remove");
    remove.addEventListener("click", function () {
      postForm("/operator/live/" + sessionId + "/comments/" + comment.id + "/remove", {});
    });
    var mute = el("button", { type: "button", "class": "quiet", "data-testid": "mute-viewer" }, "Mute");
    mute.addEventListener("click", function () {
      postForm("/operator/live/" + sessionId + "/mutes", { viewer: comment.viewer });
    });
    span.appendChild(document.createTextNode(" "));
    span.appendChild(remove);
    span.appendChild(mute);
    return span;
  }

  function onComment(data) {
    var list = document.getElementById("comments");
    if (!list || list.querySelector('[data-comment="' + data.id + '"]')) return;
    var item = el("li", { "data-comment": data.id, "data-viewer": data.viewer });
    item.appendChild(el("b", {}, data.name));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", { "class": "body" }, data.body));
    if (role === "host") item.appendChild(moderation(data));
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function onCommentRemoved(data) {
    var item = root.querySelector('[data-comment="' + data.id + '"]');
    if (item) item.remove();
  }

  function onState(data) {
    if (data.state === "ended" || role === "viewer") {
      window.location.reload(); // the page becomes the replay (or the live page)
    }
  }

  var handlers = {
    pins: onPins,
    deal: onDeal,
    comment: onComment,
    comment_removed: onCommentRemoved,
    likes: function (data) { testid("like-count").textContent = String(data.likes); },
    state: onState,
    muted: function () {},
  };

  function listen() {
    if (root.dataset.state === "ended" || !window.EventSource) return;
    var source = new EventSource(root.dataset.events + "?after=" + root.dataset.after);
    Object.keys(handlers).forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        handlers[kind](JSON.parse(event.data));
        root.dataset.lastEvent = event.lastEventId;
      });
    });
    source.addEventListener("viewers", function (event) {
      testid("viewer-count").textContent = event.data;
    });
    source.addEventListener("open", function () { root.dataset.connected = "1"; });
  }

  // --- the viewer's forms -------------------------------------------------------------------
  function wireForms() {
    var commentForm = document.getElementById("comment-form");
    var problem = document.getElementById("comment-error");
    if (commentForm) {
      commentForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var fields = Object.fromEntries(new FormData(commentForm));
        postForm(commentForm.action, fields).then(function (result) {
          problem.hidden = result.ok;
          problem.textContent = result.ok ? "" : result.json.detail;
          if (result.ok) commentForm.elements.body.value = "";
        });
      });
    }
    var likeForm = root.querySelector(".like-form");
    if (likeForm) {
      likeForm.addEventListener("submit", function (event) {
        event.preventDefault();
        postForm(likeForm.action, {});
      });
    }
    if (role === "host") {
      root.querySelectorAll("#comments li").forEach(function (item) {
        item.appendChild(moderation({ id: item.dataset.comment, viewer: item.dataset.viewer }));
      });
    }
  }

  startPlayer();
  wireForms();
  listen();
  window.setInterval(expireDeals, 1000);
})();
