// The progress bar of an export job: polls the job's status until the file is ready or the
// job failed, then shows the download link. No inline script (CSP).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box) return;
  var url = box.getAttribute("data-job-status");
  var bar = document.getElementById("job-progress");
  var percent = document.getElementById("job-percent");
  var state = document.getElementById("job-state");
  var linkBox = document.getElementById("job-download-box");
  var link = document.getElementById("job-download");
  var texts = document.getElementById("job-texts").content.firstElementChild;
  var delay = 1000;

  function show(status) {
    bar.value = status.progress;
    bar.textContent = status.progress + " %";
    percent.textContent = status.progress;
    if (status.download) {
      state.textContent = texts.getAttribute("data-ready");
      link.href = status.download;
      linkBox.hidden = false;
      return true;
    }
    if (status.state === "failed") {
      state.textContent = texts.getAttribute("data-failed");
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (status) {
        if (!show(status)) {
          delay = Math.min(delay * 1.2, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // offline for a moment: keep trying, slower
      });
  }
  if (!linkBox.hidden) return;
  window.setTimeout(poll, 300);
})();
