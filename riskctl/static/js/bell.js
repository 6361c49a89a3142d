// The bell: the unread count rises as in-app notifications are pushed (Socket.IO /screen,
// the signed-in person's room); the notifications page marks them read.
(function () {
  "use strict";
  const badge = document.getElementById("unread");
  if (!badge || typeof io === "undefined") return;
  let count = Number(badge.dataset.count || 0);
  const socket = io("/screen", { transports: ["websocket", "polling"] });
  socket.on("notification", (note) => {
    count += 1;
    badge.textContent = String(count);
    badge.hidden = false;
    badge.parentElement.title = note.title;
  });
})();
