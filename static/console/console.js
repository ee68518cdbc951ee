// The console's keyboard and small comforts, on every page:
//   /          focuses the search box        j / k   move through the rows of a list
//   Enter      opens the current row         g then a letter: a page of the menu
// the theme switch, the folding menu and filters on a phone, and filter forms that leave
// empty fields out of the URL they write.
(function () {
  "use strict";
  var root = document.documentElement;
  var phone = window.matchMedia("(max-width: 800px)");
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  // --- Theme ---------------------------------------------------------------------------
  function dark() {
    var chosen = root.dataset.theme;
    return chosen ? chosen === "dark" : systemDark.matches;
  }

  function showTheme(button) {
    button.setAttribute("aria-pressed", dark() ? "true" : "false");
  }

  function setUpTheme() {
    var button = document.querySelector(".theme-toggle");
    if (!button) {
      return;
    }
    showTheme(button);
    button.addEventListener("click", function () {
      var theme = dark() ? "light" : "dark";
      root.dataset.theme = theme;
      try {
        window.localStorage.setItem("console-theme", theme);
      } catch (error) {
        // Kept for this page only.
      }
      showTheme(button);
    });
    systemDark.addEventListener("change", function () { showTheme(button); });
  }

  // --- Menu and filters on a phone -----------------------------------------------------
  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("menu");
    if (!button || !menu) {
      return;
    }
    button.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function foldFilters() {
    var panel = document.querySelector(".filter-panel");
    if (panel && phone.matches && !panel.querySelector(".invalid, .errors")) {
      panel.open = false;
    }
  }

  // Empty fields, and those left at their default, stay out of the URL: a shared link
  // reads clean.
  function setUpForms() {
    document.querySelectorAll("form[method='get']").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("input[name], select[name]").forEach(function (field) {
          var unset = field.value === "" || field.value === field.dataset.default;
          if (unset && field.type !== "checkbox") {
            field.disabled = true;
          }
        });
        window.setTimeout(function () {
          form.querySelectorAll("[disabled]").forEach(function (field) { field.disabled = false; });
        }, 0);
      });
    });
  }

  // --- Keyboard ------------------------------------------------------------------------
  var current = -1;
  var pendingJump = false;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.log-table tbody tr"))
      .filter(function (row) { return row.querySelector("a"); });
  }

  function moveTo(index) {
    var all = rows();
    if (all.length === 0) {
      return;
    }
    index = Math.max(0, Math.min(all.length - 1, index));
    if (all[current]) {
      all[current].classList.remove("current");
      all[current].removeAttribute("aria-current");
    }
    current = index;
    var row = all[current];
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    // The row's first link (its time, to its detail page) takes the focus: Enter opens it.
    row.querySelector("a").focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) || target.isContentEditable;
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (pendingJump) {
      pendingJump = false;
      var link = document.querySelector("[data-jump='" + event.key + "']");
      if (link) {
        event.preventDefault();
        link.click();
      }
      return;
    }
    switch (event.key) {
      case "/":
        var search = document.querySelector("[data-search]");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
        break;
      case "j":
        event.preventDefault();
        moveTo(current + 1);
        break;
      case "k":
        event.preventDefault();
        moveTo(current < 0 ? 0 : current - 1);
        break;
      case "g":
        pendingJump = true;
        window.setTimeout(function () { pendingJump = false; }, 1500);
        break;
    }
  }

  // "Skip to results" lands on the first row, ready for j, k and Enter.
  function setUpSkip() {
    var skip = document.querySelector("a.skip[href='#results']");
    if (skip) {
      skip.addEventListener("click", function (event) {
        if (rows().length > 0) {
          event.preventDefault();
          moveTo(0);
        }
      });
    }
  }

  setUpTheme();
  setUpSkip();
  setUpMenu();
  foldFilters();
  setUpForms();
  document.addEventListener("keydown", onKey);
})();
