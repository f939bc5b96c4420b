// The person form asks for the arrival date as soon as the origin is a key epidemic area:
// the gateway refuses such a registration without one (422 arrived_on), this says so before.
(function () {
  "use strict";
  var origin = document.getElementById("f-origin");
  var arrived = document.getElementById("f-arrived_on");
  if (!origin || !arrived) return;
  var prefixes = (origin.getAttribute("data-key-areas") || "").split(" ").filter(Boolean);
  function canonical(text) {
    return text.normalize("NFKC").replace(/[\s\-\u2010-\u2015\u2212]/g, "");
  }
  function update() {
    var code = canonical(origin.value);
    var key = prefixes.some(function (p) { return code.indexOf(p) === 0; });
    arrived.required = key;
    var field = document.getElementById("field-arrived_on");
    if (field) field.classList.toggle("key-area", key);
    var label = document.querySelector("label[for=f-arrived_on]");
    if (label) label.setAttribute("data-required", key ? "1" : "0");
  }
  origin.addEventListener("input", update);
  update();
})();
