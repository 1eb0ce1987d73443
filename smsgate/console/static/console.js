// smsgate console: the little script it has. Copy buttons, and a rejection needs a reason.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (button) {
    const text = document.getElementById(button.dataset.copy).textContent.trim();
    navigator.clipboard.writeText(text).then(() => { button.textContent = "✓"; });
  }
  const verdict = event.target.closest("button[name=verdict]");
  if (verdict) {
    // The browser's own validation then holds back a rejection without a reason.
    verdict.form.querySelector("input[name=reason]").required = verdict.value === "reject";
  }
});
