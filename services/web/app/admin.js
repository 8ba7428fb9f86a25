// The admin panel: the moderation review queue (upload's /admin/reviews), approve or reject.
import { call } from "./api.js";
import { signIn, user } from "./auth.js";
import { announce, h, price, show } from "./dom.js";

const ADMINS = "admins";

function reviewCard(item, refresh) {
  const reasonId = `reason-${item.uploadId}`;
  const reason = h("input", { id: reasonId, name: "reason", required: true, minlength: "3" });
  const result = h("p", { role: "status" });
  async function decide(outcome, body) {
    try {
      await call("upload", `/admin/reviews/${item.uploadId}/${outcome}`, { method: "POST", signedIn: true, body });
      announce(`${item.title}: ${outcome === "approve" ? "approved" : "rejected"}`);
      refresh();
    } catch (error) {
      result.textContent = `Could not ${outcome}: ${error.message}`;
    }
  }
  return h("li", { class: "review" },
    h("h2", {}, item.title),
    h("p", {}, `${price(item.priceCents, item.currency)} · waiting since ${new Date(item.inReviewAt).toLocaleString()}`),
    h("p", {}, `Why: ${item.reviewReason}`),
    item.moderationFindings.length
      ? h("p", {}, `Findings: ${item.moderationFindings.map((f) => `${f.name} (${Math.round(f.confidence)}%)`).join(", ")}`)
      : null,
    h("p", {}, h("a", { href: item.previewUrl, target: "_blank", rel: "noopener" }, `Open the preview of ${item.title}`)),
    h("button", { type: "button", class: "primary", onclick: () => decide("approve", {}) }, `Approve ${item.title}`),
    h("form", { class: "reject", onsubmit: (event) => { event.preventDefault(); decide("reject", { reason: reason.value }); } },
      h("label", { for: reasonId }, "Reason for the photographer"), reason,
      h("button", { type: "submit" }, `Reject ${item.title}`)),
    result);
}

export function renderAdmin(main) {
  const current = user();
  if (!current) {
    show(main, h("h1", {}, "Review queue"), h("button", { type: "button", onclick: () => signIn() }, "Sign in as an admin"));
    return null;
  }
  if (!current.groups.includes(ADMINS)) {
    show(main, h("h1", {}, "Review queue"), h("p", {}, `Only members of the ${ADMINS} group review uploads.`));
    return null;
  }
  const list = h("ul", { class: "reviews", "aria-label": "Uploads waiting for review" });
  async function refresh() {
    const page = await call("upload", "/admin/reviews?limit=50", { signedIn: true });
    list.replaceChildren(...(page.items.length ? page.items.map((item) => reviewCard(item, refresh)) : [h("li", {}, "Nothing waits for review.")]));
  }
  show(main, h("h1", {}, "Review queue"), list);
  refresh();
  return null;
}
