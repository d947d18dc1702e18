// An action's page: when the server refuses the form (422), htmx swaps in the form anyway, so that
// the errors show inline next to the fields (htmx does not swap error responses by default).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422 && event.detail.target.id === "action-detail") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
