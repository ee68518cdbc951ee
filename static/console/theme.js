// Runs before the page is drawn: the theme chosen with the switch (kept in this browser),
// else none, and the stylesheet follows the system's setting. Marks the page as scripted.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  try {
    var theme = window.localStorage.getItem("console-theme");
    if (theme === "dark" || theme === "light") {
      root.dataset.theme = theme;
    }
  } catch (error) {
    // Storage refused (private mode): the system's setting it is.
  }
})();
