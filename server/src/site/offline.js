// The offline page's one job (server/src/site/worker.rs): back to where the
// person was as soon as the server answers again. No timed refresh: the
// page reloads only once there is something to show.
"use strict";

const EVERY_MS = 3000;

async function back() {
  try {
    const answer = await fetch("/healthz", { cache: "no-store" });
    if (answer.ok) {
      location.reload();
      return;
    }
  } catch {
    // Still unreachable.
  }
  setTimeout(back, EVERY_MS);
}

setTimeout(back, EVERY_MS);
