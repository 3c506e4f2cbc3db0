// `/settings`: the profile and settings of GET/PATCH /api/v1/me/ (tagline, bio, avatar, email; phone,
// SMS on/off, quiet hours, time zone), phone verification (POST /me/phone/verify/start/ + confirm/)
// and which notification kinds may send an SMS (GET/PATCH /api/v1/me/notification-preferences/).

import { api, errorBox, field, h, label, loading, mount, showFormErrors, toast } from "../core.js";

const KIND_TEXT = {
  connection_request: "Someone wants to connect",
  ask_response: "Someone responds to my ask",
  connection_accepted: "My connection request is accepted",
  help_completed: "A help session is completed",
  new_follower: "Someone follows me",
  new_message: "A new message",
  points_unlock: "I unlock something with points",
};

function zones(current) {
  let list = [];
  try {
    list = Intl.supportedValuesOf("timeZone");
  } catch {
    list = [];
  }
  if (!list.includes("UTC")) list = ["UTC", ...list];
  if (current && !list.includes(current)) list = [current, ...list];
  return list.map((z) => [z, z]);
}

/** The API nests shape errors of `settings` ({settings: {time_zone: [...]}}): show them on the fields. */
function flatten(error) {
  if (error && error.fields && error.fields.settings && typeof error.fields.settings === "object" && !Array.isArray(error.fields.settings)) {
    Object.assign(error.fields, error.fields.settings);
    delete error.fields.settings;
  }
  return error;
}

function section(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export async function settingsPage(ctx) {
  ctx.setTitle("Settings");
  mount(ctx.root, h("h1", {}, "Settings"), loading());
  let me, prefs;
  try {
    [me, prefs] = await Promise.all([api("/me/", { signal: ctx.signal }), api("/me/notification-preferences/", { signal: ctx.signal })]);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    mount(ctx.root, h("h1", {}, "Settings"), errorBox(error, () => ctx.rerender()));
    return;
  }
  const s = me.settings || {};

  // Profile
  const profileSave = h("button", { type: "submit", class: "primary" }, "Save profile");
  const profile = h(
    "form",
    { novalidate: true },
    field("Tagline", { name: "tagline", maxlength: 200, value: me.tagline || "" }, { hint: "One line on your storefront" }),
    field("Bio", { name: "bio", maxlength: 5000, value: me.bio || "" }, { tag: "textarea" }),
    field("Avatar URL", { name: "avatar_url", type: "url", value: me.avatar_url || "" }),
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true, value: me.email || "" }),
    profileSave,
  );
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = profile.elements;
    profileSave.disabled = true;
    try {
      await api("/me/", { method: "PATCH", body: { tagline: f.tagline.value, bio: f.bio.value, avatar_url: f.avatar_url.value, email: f.email.value } });
      showFormErrors(profile, null);
      toast("Profile saved.", { kind: "success" });
      await ctx.refreshMe();
    } catch (error) {
      showFormErrors(profile, flatten(error));
    } finally {
      profileSave.disabled = false;
    }
  });

  // Notifications: SMS on/off, time zone, quiet hours
  const notifSave = h("button", { type: "submit", class: "primary" }, "Save notification settings");
  const quiet = Boolean(s.quiet_hours_start && s.quiet_hours_end);
  const notif = h(
    "form",
    { novalidate: true },
    h(
      "div",
      { class: "field checkbox" },
      h("label", {}, h("input", { type: "checkbox", name: "sms_enabled", checked: Boolean(s.sms_enabled), disabled: !s.phone_verified }), " Send me text messages (SMS)"),
      s.phone_verified ? null : h("small", { class: "hint" }, "Verify a phone number below to turn SMS on."),
    ),
    field("Time zone", { name: "time_zone", value: s.time_zone || "UTC" }, { tag: "select", options: zones(s.time_zone) }),
    h("div", { class: "field checkbox" }, h("label", {}, h("input", { type: "checkbox", name: "quiet_on", checked: quiet }), " Quiet hours (no SMS at night)")),
    h(
      "div",
      { class: "row" },
      field("Quiet from", { name: "quiet_hours_start", type: "time", value: (s.quiet_hours_start || "22:00").slice(0, 5) }),
      field("Quiet until", { name: "quiet_hours_end", type: "time", value: (s.quiet_hours_end || "07:00").slice(0, 5) }),
    ),
    h(
      "fieldset",
      { class: "kinds" },
      h("legend", {}, "Send an SMS when…"),
      Object.keys(KIND_TEXT)
        .filter((k) => k in prefs)
        .map((k) => h("div", { class: "field checkbox" }, h("label", {}, h("input", { type: "checkbox", name: `kind_${k}`, checked: Boolean(prefs[k]?.sms) }), " ", KIND_TEXT[k] || label(k)))),
      Object.keys(prefs)
        .filter((k) => !(k in KIND_TEXT))
        .map((k) => h("div", { class: "field checkbox" }, h("label", {}, h("input", { type: "checkbox", name: `kind_${k}`, checked: Boolean(prefs[k]?.sms) }), " ", label(k)))),
    ),
    notifSave,
  );
  const syncQuiet = () => {
    for (const n of ["quiet_hours_start", "quiet_hours_end"]) notif.elements[n].disabled = !notif.elements.quiet_on.checked;
  };
  notif.elements.quiet_on.addEventListener("change", syncQuiet);
  syncQuiet();
  notif.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = notif.elements;
    notifSave.disabled = true;
    try {
      const on = f.quiet_on.checked;
      const settings = { time_zone: f.time_zone.value, quiet_hours_start: on ? f.quiet_hours_start.value : null, quiet_hours_end: on ? f.quiet_hours_end.value : null };
      if (!f.sms_enabled.disabled) settings.sms_enabled = f.sms_enabled.checked;
      const kinds = {};
      for (const k of Object.keys(prefs)) kinds[k] = { sms: f[`kind_${k}`].checked };
      await api("/me/", { method: "PATCH", body: { settings } });
      await api("/me/notification-preferences/", { method: "PATCH", body: kinds });
      showFormErrors(notif, null);
      toast("Notification settings saved.", { kind: "success" });
    } catch (error) {
      showFormErrors(notif, flatten(error));
    } finally {
      notifSave.disabled = false;
    }
  });

  // Phone: set the number (PATCH /me/), send a code, confirm it.
  const phoneStatus = h("p", { id: "phone-status" }, s.phone_number ? [s.phone_number, " — ", s.phone_verified ? "verified ✓" : "not verified"] : "No phone number yet.");
  const sendCode = h("button", { type: "submit", class: "primary" }, s.phone_number && !s.phone_verified ? "Send code" : "Save and send code");
  const phone = h(
    "form",
    { novalidate: true },
    field("Phone number", { name: "phone_number", type: "tel", autocomplete: "tel", value: s.phone_number || "", placeholder: "+14155550123" }, { hint: "International format (E.164)" }),
    sendCode,
  );
  const confirmSubmit = h("button", { type: "submit", class: "primary" }, "Verify");
  const confirmForm = h("form", { novalidate: true, hidden: true }, field("Code from the SMS", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 12, required: true }), confirmSubmit);
  phone.addEventListener("submit", async (event) => {
    event.preventDefault();
    sendCode.disabled = true;
    try {
      const number = phone.elements.phone_number.value.trim();
      if (number !== (s.phone_number || "")) {
        await api("/me/", { method: "PATCH", body: { settings: { phone_number: number } } });
        s.phone_number = number;
        s.phone_verified = false;
      }
      if (!number) {
        mount(phoneStatus, "No phone number yet.");
        toast("Phone number removed.", { kind: "success" });
        return;
      }
      const started = await api("/me/phone/verify/start/", { method: "POST" });
      showFormErrors(phone, null);
      mount(phoneStatus, `Code sent to ${started.phone_number}. It is valid for ${Math.round(started.expires_in / 60)} minutes.`);
      confirmForm.hidden = false;
      confirmForm.elements.code.focus();
    } catch (error) {
      showFormErrors(phone, flatten(error));
    } finally {
      sendCode.disabled = false;
    }
  });
  confirmForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    confirmSubmit.disabled = true;
    try {
      await api("/me/phone/verify/confirm/", { method: "POST", body: { code: confirmForm.elements.code.value.trim() } });
      toast("Phone verified: SMS is on.", { kind: "success" });
      await ctx.refreshMe();
      ctx.rerender();
    } catch (error) {
      showFormErrors(confirmForm, error);
      confirmSubmit.disabled = false;
    }
  });

  mount(
    ctx.root,
    h("h1", {}, "Settings"),
    h("p", { class: "muted" }, `Signed in as @${me.username} · `, h("a", { href: `/u/${encodeURIComponent(me.username)}` }, "view your storefront")),
    section("profile-title", "Profile", profile),
    section("phone-title", "Phone", phoneStatus, phone, confirmForm),
    section("notif-title", "Notifications", notif),
  );
}
