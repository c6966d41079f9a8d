// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Phone menu: collapse the main navigation behind the menu button.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    nav.setAttribute("data-collapsed", "true");
    toggle.setAttribute("aria-expanded", "false");
    toggle.addEventListener("click", function () {
      var open = nav.getAttribute("data-collapsed") === "true";
      nav.setAttribute("data-collapsed", open ? "false" : "true");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Destructive actions ask once (UX.md); the text comes from the button's data-confirm.
  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // Values shown once (new API token, invitation link) get a copy button.
  var copyButtons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(copyButtons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = button.getAttribute("data-copied") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      };
      field.focus();
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
      } else if (document.execCommand && document.execCommand("copy")) {
        done();
      }
    });
  });

  // Phones: fold Ticket management's filters while none is active, so the list comes first.
  // Follows the width (a tablet turned, a window resized) until the person opens or
  // closes the box themselves.
  var filterBox = document.querySelector("details.filter-box");
  if (filterBox && filterBox.getAttribute("data-active") === "0" && window.matchMedia) {
    var phone = window.matchMedia("(max-width: 640px)");
    var chosen = false;
    var fit = function () {
      if (!chosen) filterBox.open = !phone.matches;
    };
    fit();
    filterBox.querySelector("summary").addEventListener("click", function () { chosen = true; });
    if (phone.addEventListener) phone.addEventListener("change", fit);
  }

  // Focus the error summary so screen readers and keyboards land on it.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();

// Tickets: live updates, pasted and dropped attachments, and the customer picker's
// typeahead. Progressive only: without this, pages reload by hand, files are chosen
// with the file picker, and the picker searches with its button.
(function () {
  "use strict";

  var each = function (list, fn) { Array.prototype.forEach.call(list || [], fn); };

  var parse = function (text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  };

  // Typed text or chosen files would be lost by a reload, so a page with unsaved input
  // only announces new activity instead of reloading itself.
  var unsaved = function () {
    var dirty = false;
    each(document.querySelectorAll("main textarea, main input, main select"), function (field) {
      if (dirty) return;
      if (field.type === "file") {
        dirty = field.files && field.files.length > 0;
      } else if (field.type === "checkbox" || field.type === "radio") {
        dirty = field.checked !== field.defaultChecked;
      } else if (field.tagName === "SELECT") {
        each(field.options, function (option) {
          if (option.selected !== option.defaultSelected) dirty = true;
        });
      } else if (field.type !== "hidden" && field.type !== "submit") {
        dirty = field.value !== field.defaultValue;
      }
    });
    return dirty;
  };

  var banner = function (source) {
    if (document.querySelector(".live-banner")) return;
    var main = document.getElementById("content");
    if (!main) return;
    var box = document.createElement("div");
    box.className = "live-banner";
    box.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = source.getAttribute("data-live-text") || "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = source.getAttribute("data-live-reload") || "↻";
    button.addEventListener("click", function () { window.location.reload(); });
    box.appendChild(text);
    box.appendChild(button);
    main.insertBefore(box, main.firstChild);
  };

  var streams = {};
  if (window.EventSource) {
    each(document.querySelectorAll("[data-live]"), function (el) {
      var url = el.getAttribute("data-live");
      if (!url || url.charAt(0) !== "/") return;
      var source = streams[url] || (streams[url] = new EventSource(url));
      var listKey = el.getAttribute("data-live-list");
      var ticket = el.getAttribute("data-ticket");

      source.addEventListener("counts", function (event) {
        var counts = parse(event.data);
        if (!counts || typeof counts !== "object") return;
        Object.keys(counts).forEach(function (key) {
          var n = counts[key];
          if (!/^[a-z_]+$/.test(key) || typeof n !== "number") return;
          each(document.querySelectorAll("[data-count=\"" + key + "\"]"), function (badge) {
            if (badge.textContent === String(n)) return;
            badge.textContent = String(n);
            if (key === listKey && el.contains(badge)) banner(el);
          });
        });
      });

      if (ticket) {
        source.addEventListener("ticket", function (event) {
          var data = parse(event.data);
          if (!data || String(data.number) !== ticket) return;
          if (unsaved()) {
            banner(el);
          } else {
            window.location.reload();
          }
        });
      }
    });
    window.addEventListener("pagehide", function () {
      Object.keys(streams).forEach(function (url) { streams[url].close(); });
    });
  }

  // Attachments: pasted screenshots and dropped files join the form's file input.
  var stamp = function () {
    var d = new Date();
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + two(d.getMonth() + 1) + two(d.getDate()) + "-" +
      two(d.getHours()) + two(d.getMinutes()) + two(d.getSeconds());
  };
  var pasted = 0;

  var showFiles = function (input) {
    var field = input.closest ? input.closest(".field") : null;
    var status = field ? field.querySelector("[data-files-status]") : null;
    if (!status) return;
    var names = [];
    each(input.files, function (file) { names.push(file.name); });
    status.textContent = names.join(", ");
  };

  var addFiles = function (input, files) {
    if (!files || !files.length || typeof DataTransfer === "undefined") return false;
    try {
      var transfer = new DataTransfer();
      each(input.files, function (file) { transfer.items.add(file); });
      each(files, function (file) { transfer.items.add(file); });
      input.files = transfer.files;
    } catch (e) {
      return false;
    }
    showFiles(input);
    return true;
  };

  each(document.querySelectorAll("form[data-attach]"), function (form) {
    var input = form.querySelector("input[type=file][name=files]");
    if (!input) return;
    input.addEventListener("change", function () { showFiles(input); });

    form.addEventListener("paste", function (event) {
      var target = event.target;
      var data = event.clipboardData;
      if (!target || target.tagName !== "TEXTAREA" || !data || !data.items) return;
      var files = [];
      each(data.items, function (item) {
        if (item.kind !== "file") return;
        var file = item.getAsFile();
        if (!file) return;
        if (/^image\//.test(file.type)) {
          pasted += 1;
          var ext = (file.type.split("/")[1] || "png").replace(/[^a-z0-9]/g, "");
          try {
            file = new File([file], "screenshot-" + stamp() + "-" + pasted + "." + ext, { type: file.type });
          } catch (e) { /* keep the browser's name */ }
        }
        files.push(file);
      });
      // Text pasted along with an image (from an office program) still goes into the field.
      var hasText = false;
      each(data.types, function (type) { if (type === "text/plain") hasText = true; });
      if (addFiles(input, files) && !hasText) event.preventDefault();
    });

    var hasFiles = function (event) {
      var types = event.dataTransfer && event.dataTransfer.types;
      var found = false;
      each(types, function (type) { if (type === "Files") found = true; });
      return found;
    };
    form.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      form.classList.add("drop-target");
    });
    form.addEventListener("dragleave", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) form.classList.remove("drop-target");
    });
    form.addEventListener("drop", function (event) {
      form.classList.remove("drop-target");
      if (!hasFiles(event)) return;
      event.preventDefault();
      addFiles(input, event.dataTransfer.files);
    });
  });

  // The customer picker's field is called customer_q in the form, but its htmx search
  // endpoint reads q: data-param renames the parameter of that one request.
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var elt = detail && detail.elt;
    if (!elt || !elt.getAttribute || !detail.parameters) return;
    var name = elt.getAttribute("data-param");
    if (!name || !elt.name || name === elt.name) return;
    detail.parameters[name] = elt.value;
    delete detail.parameters[elt.name];
  });
})();
