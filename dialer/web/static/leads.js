// The leads page: search and history over the leads the signed-in user may see (supervisors: their teams').
import { api, el } from "./common.js";
import { t } from "./i18n.js";
import { mountLeadSearch } from "./leadsearch.js";

const $ = (id) => document.getElementById(id);
const campaigns = await api("GET", "/api/campaigns?limit=500");
$("campaign").replaceChildren(el("option", { value: "" }, t("All campaigns")), ...campaigns.items.map((c) => el("option", { value: c.name }, c.name)));
mountLeadSearch(() => $("campaign").value);
