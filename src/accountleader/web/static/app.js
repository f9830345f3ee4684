// Upload progress for the import form; everything else is plain htmx.
document.addEventListener("htmx:xhr:progress", function (evt) {
  var bar = document.getElementById("upload-progress");
  var step = document.getElementById("upload-step");
  if (!bar || !evt.detail.lengthComputable) return;
  var pct = Math.round((evt.detail.loaded / evt.detail.total) * 100);
  bar.value = pct;
  if (step) step.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Validating, importing and analysing…";
});
document.addEventListener("change", function (evt) {
  if (evt.target && evt.target.matches("select[data-autosubmit]")) evt.target.form.requestSubmit();
});
