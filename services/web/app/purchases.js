// "My purchases": status until completed, then a short-lived download link.
import { call } from "./api.js";
import { signIn, user } from "./auth.js";
import { h, price, show } from "./dom.js";

const POLL_MS = 1000;

async function download(purchase, button) {
  button.disabled = true;
  try {
    const link = await call("purchase", `/purchases/${purchase.purchaseId}/download`, { signedIn: true });
    window.open(link.url, "_blank", "noopener");
  } finally {
    button.disabled = false;
  }
}

function row(purchase) {
  const action = purchase.status === "COMPLETED"
    ? h("button", { type: "button", onclick: (event) => download(purchase, event.currentTarget) }, `Download ${purchase.title}`)
    : purchase.failureReason || "";
  return h("tr", {},
    h("td", {}, purchase.title),
    h("td", {}, price(purchase.priceCents, purchase.currency)),
    h("td", { class: `status ${purchase.status.toLowerCase()}` }, purchase.status),
    h("td", {}, action));
}

export function renderPurchases(main) {
  if (!user()) {
    show(main, h("h1", {}, "My purchases"), h("button", { type: "button", onclick: () => signIn() }, "Sign in to see your purchases"));
    return null;
  }
  const body = h("tbody");
  show(main, h("h1", {}, "My purchases"),
    h("table", {}, h("caption", { class: "visually-hidden" }, "Your purchases"),
      h("thead", {}, h("tr", {}, ...["Image", "Price", "Status", ""].map((c) => h("th", { scope: "col" }, c)))), body));
  let timer = null;
  async function refresh() {
    const page = await call("purchase", "/purchases?limit=100", { signedIn: true });
    body.replaceChildren(...page.items.map(row));
    if (page.items.some((p) => p.status === "PENDING")) timer = setTimeout(refresh, POLL_MS);
  }
  refresh();
  return () => clearTimeout(timer);
}
