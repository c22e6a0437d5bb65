// The announcement form's map picker: clicking a buurt on the map ticks or unticks its
// check box and highlights it. Without this script the check boxes and "Update map" do
// the same.
document.addEventListener("DOMContentLoaded", function () {
  var map = document.querySelector(".picker-map svg");
  if (!map) return;
  map.addEventListener("click", function (event) {
    var path = event.target.closest ? event.target.closest("path[data-code]") : null;
    if (!path) return;
    var box = document.getElementById("area-" + path.getAttribute("data-code"));
    if (!box) return;
    box.checked = !box.checked;
    path.classList.toggle("chosen", box.checked);
  });
  document.querySelectorAll("input[name=area]").forEach(function (box) {
    box.addEventListener("change", function () {
      var path = map.querySelector('path[data-code="' + box.value + '"]');
      if (path) path.classList.toggle("chosen", box.checked);
    });
  });
});
