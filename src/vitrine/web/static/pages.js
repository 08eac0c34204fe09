// Page behaviour that used to sit in inline handlers (the CSP allows no inline script).
(function () {
  "use strict";
  // <select data-autosubmit> and <input type=file data-autosubmit>: submit the form on change.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  // <button data-use-location="/checkout">: reload that page with the phone's position.
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-use-location]");
    if (!button || !navigator.geolocation) {
      return;
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      var target = button.getAttribute("data-use-location");
      location.href = target + "?lat=" + position.coords.latitude + "&lon=" + position.coords.longitude;
    });
  });
})();
