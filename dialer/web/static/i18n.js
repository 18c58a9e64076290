// Translations for the browser scripts: the server's gettext catalogues as JSON (/api/i18n/<lang>), and dates,
// times, numbers in the page's language. The page's language is <html lang> (the server chose it: the user's
// setting, else Accept-Language). Usage: t("Ready"), t("{n} of {total} live", { n, total }); mark every
// user-visible string this way: `python -m dialer.i18n update` extracts t("...") calls into the catalogues.
const boot = JSON.parse(document.body?.dataset.boot || "{}");
export const lang = document.documentElement.lang || "en";
// The zone times are shown in: the user's setting, else the browser's.
export const userZone = boot.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;

async function load() {
  if (lang === "en") return {};
  try {
    const res = await fetch(`/api/i18n/${encodeURIComponent(lang)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return res.ok ? await res.json() : {};
  } catch (_) { return {}; }
}
const messages = await load();

function fill(text, params) {
  return params ? text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m)) : text;
}

export function t(msgid, params) {
  const s = messages[msgid];
  return fill(typeof s === "string" ? s : msgid, params);
}

export function tn(singular, plural, n, params) {
  const s = messages[singular];
  const all = { n, ...(params || {}) };
  if (Array.isArray(s)) {
    const forms = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const idx = forms.length > 1 ? forms.indexOf(new Intl.PluralRules(lang).select(n)) : 0;
    return fill(s[Math.max(0, Math.min(idx, s.length - 1))], all);
  }
  return fill(n === 1 ? singular : plural, all);
}

// A translated word from a fixed set (states, statuses, outcomes): the catalogue has each of them (see WORDS).
export function word(value) { return value === null || value === undefined ? "" : t(String(value).replace(/_/g, " ")); }

export function dateTime(iso, zone = userZone) {
  if (!iso) return "";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone }).format(d);
}

export function timeIn(date, zone) {
  return new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", weekday: "short", timeZone: zone, timeZoneName: "short" }).format(date);
}

export function number(n, digits) {
  const opts = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(lang, opts).format(n || 0);
}

export function percent(x, digits = 1) {
  return new Intl.NumberFormat(lang, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x || 0);
}

// A length of time (seconds) in the page's language: "1h 5m 3s", "1 時間 5 分 3 秒" (Intl.DurationFormat; "1:05:03"
// where the browser lacks it). Whole seconds; null/undefined: "—".
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const parts = { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60), seconds: s % 60 };
  if (typeof Intl.DurationFormat === "function") {
    // English's narrow form ("1h 5m 3s"); the short one elsewhere: Japanese's narrow one is "1h5m3s", not 時間/分/秒.
    const style = lang.startsWith("en") ? "narrow" : "short";
    return new Intl.DurationFormat(lang, { style, secondsDisplay: s ? "auto" : "always" }).format(parts);
  }
  const pad = (n) => String(n).padStart(2, "0");
  return parts.hours ? `${parts.hours}:${pad(parts.minutes)}:${pad(parts.seconds)}` : `${parts.minutes}:${pad(parts.seconds)}`;
}

// The words the scripts show from data (agent states, lead statuses, outcomes, pause reasons, queue kinds, why not
// dialling), listed
// so the extractor puts them in the catalogues; `word(value)` looks them up.
export const WORDS = [
  t("ready"), t("paused"), t("talking"), t("wrapup"), t("ringing"), t("logged out"), t("new"), t("retry"), t("callback"),
  t("in call"), t("done"), t("archived"), t("dnc"), t("exhausted"), t("importing"), t("connected"), t("busy"), t("no answer"),
  t("congestion"), t("failed"), t("machine"), t("abandoned"), t("cancelled"), t("unallocated"), t("invalid number"),
  t("break"), t("lunch"), t("training"), t("meeting"), t("technical"), t("admin"), t("campaign"), t("inbound"),
  t("running"), t("stopped"), t("preview"), t("progressive"), t("power"), t("predictive"), t("start"), t("pause"), t("stop"),
  t("window closed"), t("holiday"), t("closed date"), t("no agents"), t("no leads"), t("no consent"), t("retry wait"), t("callback wait"), t("max attempts"),
  t("Sale"), t("Not interested"), t("Call back"), t("Think about it"), t("Wrong party"), t("Do not call"), t("Refused"),
  t("Answering machine"),
  // why a campaign is not dialling (the status's why_not_dialing.code, the pacer's guard)
  t("paced"), t("immature estimates"), t("abandon budget"), t("inbound waiting"), t("few agents"), t("call limit"),
  t("ami down"), t("adopting"), t("error"), t("no fastagi"),
];

// A language and time zone picker in the top bar (the user's settings, stored on the server).
export function languagePicker(api) {
  const bar = document.querySelector(".topbar-user");
  if (!bar || document.getElementById("language-picker")) return;
  const select = document.createElement("select");
  select.id = "language-picker";
  select.setAttribute("aria-label", t("Language"));
  for (const [code, name] of [["", t("Browser language")], ["en", "English"], ["ja", "日本語"], ["zh-CN", "简体中文"], ["zh-Hant", "繁體中文"]]) {
    const o = document.createElement("option"); o.value = code; o.textContent = name; select.append(o);
  }
  select.value = boot.language_setting ?? "";
  select.onchange = async () => { await api("PUT", "/api/me/preferences", { language: select.value }); location.reload(); };
  bar.prepend(select);
}
