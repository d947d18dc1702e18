// The incident page: the clocks' remaining times tick between two loads (the page is complete
// without it). The words come from the page (data-* attributes, in the reader's language).
(function () {
  "use strict";
  const box = document.querySelector(".clocks[data-left]");
  if (!box) {
    return;
  }
  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)(02)?d|%\((\w+)\)s/g, function (all, name, pad, sname) {
      const value = values[name || sname];
      return pad && value < 10 ? "0" + value : String(value);
    });
  }
  function text(seconds) {
    const late = seconds < 0;
    let rest = Math.abs(Math.trunc(seconds));
    const days = Math.floor(rest / 86400);
    rest -= days * 86400;
    const hours = Math.floor(rest / 3600);
    const minutes = Math.floor((rest - hours * 3600) / 60);
    const span = days
      ? fill(box.dataset.days, { days: days, hours: hours })
      : fill(box.dataset.hours, { hours: hours, minutes: minutes });
    return fill(late ? box.dataset.late : box.dataset.left, { span: span });
  }
  function tick() {
    const now = Date.now();
    box.querySelectorAll("[data-deadline]").forEach(function (element) {
      const deadline = Date.parse(element.dataset.deadline);
      if (!Number.isNaN(deadline)) {
        element.textContent = text((deadline - now) / 1000);
      }
    });
  }
  window.setInterval(tick, 30000);
})();
