// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("main-nav");
  if (!toggle || !nav) return;
  toggle.hidden = false;
  nav.setAttribute("data-collapsed", "true");
  toggle.setAttribute("aria-expanded", "false");
  toggle.addEventListener("click", function () {
    var open = nav.getAttribute("data-collapsed") === "true";
    nav.setAttribute("data-collapsed", open ? "false" : "true");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
