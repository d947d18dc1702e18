// Forms that delete, revoke or close something ask first: the question is the form's data-confirm
// (the CSP forbids inline handlers, so one listener on the document serves every page).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
