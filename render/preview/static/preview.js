// The preview's live reload, and nothing else: the page reads completely without this script.
// The server says when the page was rebuilt (reload it) or when the draft PDF and deck changed
// (refresh the line that links them), over Server-Sent Events.
(() => {
  const script = document.currentScript;
  const events = new EventSource("/_preview/events?page=" + encodeURIComponent(script.dataset.page));
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("outputs", async () => {
    const response = await fetch("/_preview/outputs", { cache: "no-store" });
    const line = document.getElementById("ir-preview-outputs");
    if (response.ok && line) line.innerHTML = await response.text();
  });
})();
