// The questionnaire: when the server refuses an answer (422), htmx swaps in the control's fragment
// anyway, so that the error shows inline next to the fields (htmx does not swap error responses).
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422 && event.detail.target.classList.contains("assess-control")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
