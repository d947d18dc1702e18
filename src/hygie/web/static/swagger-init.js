// Starts Swagger UI on the API docs page (a file, not an inline script: the CSP forbids those).
(function () {
  var node = document.getElementById("swagger-ui");
  if (node && window.SwaggerUIBundle) {
    window.SwaggerUIBundle({ url: node.dataset.openapi, dom_id: "#swagger-ui" });
  }
})();
