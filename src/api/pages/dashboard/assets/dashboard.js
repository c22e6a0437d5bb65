// meldpunt dashboard: optional enhancements; the page works without this script.
// - Changing a select in the form does not submit it (no change of context on input);
//   pressing "Toon / Show" does, as without the script.
// - Hovering or focusing an area on the map shows its name and value under the map.
(function () {
  "use strict";
  var map = document.getElementById("map");
  if (!map) { return; }
  var readout = document.createElement("p");
  readout.id = "map-readout";
  map.parentNode.insertBefore(readout, map.nextSibling);
  function show(event) {
    var link = event.target.closest ? event.target.closest("a.area") : null;
    if (link) { readout.textContent = link.getAttribute("aria-label"); }
  }
  map.addEventListener("mouseover", show);
  map.addEventListener("focusin", show);
})();
