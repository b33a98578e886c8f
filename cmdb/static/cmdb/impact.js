// The impact map on the CI page: cytoscape.js draws the nodes and parent edges the server computed
// (embedded as JSON); pan and zoom with the mouse, click a node to open its CI page. The table under
// the map lists the same nodes, so the page works without JavaScript.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("impact-graph");
    var data = document.getElementById("impact-data");
    if (!box || !data || typeof window.cytoscape !== "function") { return; }
    var graph = JSON.parse(data.textContent);
    var cy = window.cytoscape({
      container: box,
      elements: graph.elements,
      wheelSensitivity: 0.3,
      // Fitting a graph of one or two nodes would blow them up to the whole box: cap the zoom.
      maxZoom: 1.5,
      minZoom: 0.1,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 9, "background-color": "#6c757d", "width": 14, "height": 14, "text-valign": "bottom", "text-margin-y": 3 } },
        { selector: "node[?service]", style: { "background-color": "#dc3545", "shape": "round-rectangle", "width": 22, "height": 16, "font-weight": "bold" } },
        { selector: "node[?root]", style: { "background-color": "#0d6efd", "width": 22, "height": 22 } },
        { selector: "node[open > 0]", style: { "border-width": 3, "border-color": "#fd7e14" } },
        { selector: "edge", style: { "width": 1, "line-color": "#adb5bd", "target-arrow-shape": "triangle", "target-arrow-color": "#adb5bd", "curve-style": "bezier", "arrow-scale": 0.7 } }
      ]
    });
    // Node ids are CI ids (digits), which are not valid "#id" selectors: pass the root as a collection.
    cy.layout({ name: "breadthfirst", directed: true, roots: cy.nodes("[?root]"), spacingFactor: 1.1 }).run();
    cy.on("tap", "node", function (event) { window.location.href = event.target.data("url"); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
