// The review editor: the overall score follows the chosen scores (the server computes it
// again on save), and "Use suggested scores" picks each criterion's suggestion where one
// exists. Radio buttons give the keyboard behaviour: arrow keys within a criterion, Tab on.
(function () {
  "use strict";

  function roundHalfUp(value, places) {
    var factor = Math.pow(10, places);
    return Math.floor(value * factor + 0.5 + 1e-9) / factor;
  }

  function overall(form) {
    // Weights have two decimals: sum in hundredths so the mean is exact before rounding.
    var weighted = 0, weights = 0;
    form.querySelectorAll("[data-criterion]").forEach(function (criterion) {
      var chosen = criterion.querySelector("input[type=radio]:checked");
      if (!chosen) return;
      var weight = Math.round(parseFloat(criterion.dataset.weight) * 100);
      weighted += weight * parseInt(chosen.value, 10);
      weights += weight;
    });
    if (!weights) return "–";
    // As the server: rounded half up to 2 places, shown to one decimal.
    return roundHalfUp(roundHalfUp(weighted / weights, 2), 1).toFixed(1);
  }

  function init(form) {
    var output = document.querySelector("[data-overall]");
    function refresh() {
      if (output) output.textContent = overall(form);
    }
    form.addEventListener("change", function (event) {
      if (event.target.type === "radio") refresh();
    });
    var button = form.querySelector("[data-use-suggested]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        form.querySelectorAll("[data-criterion]").forEach(function (criterion) {
          var suggested = criterion.dataset.suggested;
          if (!suggested) return;
          var radio = criterion.querySelector('input[type=radio][value="' + suggested + '"]');
          if (radio) radio.checked = true;
        });
        refresh();
      });
    }
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-review-editor]").forEach(init);
  });
})();
