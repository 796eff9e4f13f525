// Show a question 4 row only while its question 3 row has a negative answer.
// Without JavaScript every row stays visible and the server ignores the rows
// that question 3 did not answer negatively.
(function () {
  "use strict";
  var survey = document.getElementById("survey");
  if (!survey) {
    return;
  }
  var negative = survey.getAttribute("data-negative").split(" ");
  var rows = survey.querySelectorAll("[data-q4-row]");
  var table = document.getElementById("q4-table");
  var none = document.getElementById("q4-none");

  function update() {
    var shown = 0;
    rows.forEach(function (row) {
      var answer = survey.querySelector('input[name="q3_' + row.getAttribute("data-q4-row") + '"]:checked');
      var show = answer !== null && negative.indexOf(answer.value) !== -1;
      row.hidden = !show;
      if (show) {
        shown += 1;
      }
    });
    table.hidden = shown === 0;
    none.hidden = shown !== 0;
  }

  survey.addEventListener("change", update);
  update();
})();
