// The leads page: search and history over the leads the signed-in user may see (supervisors: their teams').
import { api, el } from "./common.js";
import { languagePicker, t } from "./i18n.js";
import { mountLeadSearch } from "./leadsearch.js";

languagePicker(api); // the top bar's language, as on every page

const $ = (id) => document.getElementById(id);
const campaigns = await api("GET", "/api/campaigns?limit=500");
$("campaign").replaceChildren(el("option", { value: "" }, t("All campaigns")), ...campaigns.items.map((c) => el("option", { value: c.name }, c.name)));
mountLeadSearch(() => $("campaign").value);
