// Links and sections of the dashboard: only those the signed-in role may use stay visible (hidden, not removed:
// the dashboard's own script still fills them).
const role = JSON.parse(document.body.dataset.boot || "{}").role;
for (const node of document.querySelectorAll("[data-roles]")) {
  if (!node.dataset.roles.split(" ").includes(role)) node.hidden = true;
}
