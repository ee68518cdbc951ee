// Reloads a list page every few seconds while its URL asks for it (?refresh=30), so that
// new records show up. It waits while the page is hidden or someone is typing a filter.
(function () {
  "use strict";
  var seconds = Number(document.currentScript && document.currentScript.dataset.seconds) || 30;

  function busy() {
    var active = document.activeElement;
    return document.hidden || (active !== null && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName));
  }

  function reload() {
    if (busy()) {
      window.setTimeout(reload, 5000);
    } else {
      window.location.reload();
    }
  }

  window.setTimeout(reload, seconds * 1000);
})();
