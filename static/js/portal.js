// Small enhancements we own. Every action works without this file.
document.addEventListener("htmx:afterSwap", (event) => {
  const focusTarget = event.detail.target.querySelector("[data-focus-after-swap]");
  if (focusTarget) focusTarget.focus();
});
