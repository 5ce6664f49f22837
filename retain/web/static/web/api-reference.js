// The API reference page: Swagger UI (vendored by `make assets`) drawn from the OpenAPI schema whose
// address the page names in data-schema-url. A script of its own because the Content-Security-Policy
// allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("api-reference");
  if (!node || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    domNode: node,
    deepLinking: true,
    docExpansion: "list",
    // The default sends the schema to validator.swagger.io for a badge: nothing leaves this site.
    validatorUrl: null,
  });
});
