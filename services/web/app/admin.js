// The admin panel: the moderation review queue (upload's /admin/reviews), approve or reject.
import { call } from "./api.js";
import { signIn, user } from "./auth.js";
import { announce, h, price, show } from "./dom.js";

const ADMINS = "admins";

// One upload waiting: its private review copy (a presigned link), why it waits, the decisions.
function reviewCard(item, decided) {
  const reasonId = `reason-${item.uploadId}`;
  const reason = h("input", { id: reasonId, name: "reason", required: true, minlength: "3" });
  const result = h("p", { role: "status" });
  async function decide(outcome, body) {
    try {
      const record = await call("upload", `/admin/reviews/${item.uploadId}/${outcome}`, { method: "POST", signedIn: true, body });
      decided(record);
    } catch (error) {
      result.textContent = `Could not ${outcome}: ${error.message}`;
    }
  }
  return h("li", { class: "review" },
    h("h2", {}, item.title),
    h("img", { class: "review-preview", src: item.previewUrl, alt: `${item.title} (preview for review)` }),
    h("p", {}, `${price(item.priceCents, item.currency)} · waiting since ${new Date(item.inReviewAt).toLocaleString()}`),
    h("p", {}, `Why: ${item.reviewReason}`),
    item.moderationFindings.length
      ? h("p", {}, `Findings: ${item.moderationFindings.map((f) => `${f.name} (${Math.round(f.confidence)}%)`).join(", ")}`)
      : null,
    h("button", { type: "button", class: "primary", onclick: () => decide("approve", {}) }, `Approve ${item.title}`),
    h("form", { class: "reject", onsubmit: (event) => { event.preventDefault(); decide("reject", { reason: reason.value }); } },
      h("label", { for: reasonId }, `Reason for rejecting ${item.title}`), reason,
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
    show(main, h("h1", {}, "Review queue"), h("p", {}, `Only moderators (members of the ${ADMINS} group) review uploads.`));
    return null;
  }
  const list = h("ul", { class: "reviews", "aria-label": "Uploads waiting for review" });
  const outcomes = h("ul", { "aria-label": "Decided" });
  const problem = h("p", { role: "alert" });
  let stopped = false;
  async function refresh() {
    try {
      const page = await call("upload", "/admin/reviews?limit=50", { signedIn: true });
      if (stopped) return;
      problem.textContent = "";
      list.replaceChildren(...(page.items.length ? page.items.map((item) => reviewCard(item, decided)) : [h("li", {}, "Nothing waits for review.")]));
    } catch (error) {
      problem.textContent = `Could not load the review queue: ${error.message}`;
    }
  }
  function decided(record) {
    announce(`${record.title}: ${record.status}`);
    outcomes.append(h("li", {}, `${record.title}: `, h("strong", {}, record.status)));
    refresh();
  }
  show(main, h("h1", {}, "Review queue"), problem, list, h("h2", {}, "Decided"), outcomes);
  refresh();
  return () => { stopped = true; };
}
