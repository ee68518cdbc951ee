// Says what the CDR policy will do while its values are edited, before saving.
(function () {
  "use strict";
  function update() {
    var effect = document.getElementById("cdr-policy-effect");
    var period = document.getElementById("id_period");
    var duration = document.getElementById("id_duration");
    if (!effect || !period || !duration) {
      return;
    }
    var amount = parseInt(duration.value, 10);
    if (isNaN(amount) || amount < 0) {
      effect.textContent = "Enter a whole number of periods, 0 or more.";
    } else if (amount === 0) {
      effect.textContent = effect.dataset.noCdr;
    } else {
      var unit = period.value.toLowerCase() + (amount === 1 ? "" : "s");
      effect.textContent = effect.dataset.kept.replace("{amount}", amount + " " + unit);
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    ["id_period", "id_duration"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) {
        input.addEventListener("input", update);
        input.addEventListener("change", update);
      }
    });
  });
})();
