// Links to the administration pages: only those the signed-in role may open stay visible.
const role = JSON.parse(document.body.dataset.boot || "{}").role;
for (const link of document.querySelectorAll("a[data-roles]")) {
  if (!link.dataset.roles.split(" ").includes(role)) link.remove();
}
