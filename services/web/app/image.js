// An image page: watermarked preview, labels, price, buy (one idempotency key), similar images.
import { call } from "./api.js";
import { signIn, user } from "./auth.js";
import { announce, h, price, sameOrigin, show } from "./dom.js";
import { card } from "./home.js";

async function similarTo(image) {
  // The catalog's "similar": shared tags, closest palette first.
  const page = await call("catalog", `/images/${encodeURIComponent(image.imageId)}/similar?limit=8`);
  return page.items;
}

function buyButton(image) {
  if (!user()) return h("button", { type: "button", onclick: () => signIn() }, "Sign in to buy");
  // One key per page view: a double click, or a retry after a lost answer, buys once.
  const key = crypto.randomUUID();
  const result = h("p", { class: "result", role: "status" });
  const button = h("button", { type: "button", class: "primary", onclick: async () => {
    button.disabled = true;
    try {
      const purchase = await call("purchase", "/purchases", { method: "POST", signedIn: true, headers: { "Idempotency-Key": key }, body: { imageId: image.imageId } });
      show(result, `Purchase ${purchase.status.toLowerCase()}. `, h("a", { href: "/purchases", "data-link": true }, "My purchases"));
      announce("Purchase recorded");
    } catch (error) {
      result.textContent = `Could not buy: ${error.message}`;
      button.disabled = false;
    }
  } }, `Buy for ${price(image.priceCents, image.currency)}`);
  return h("div", { class: "buy" }, button, result);
}

export function renderImage(main, imageId) {
  show(main, h("p", {}, "Loading…"));
  let alive = true;
  (async () => {
    let image;
    try {
      image = await call("catalog", `/images/${encodeURIComponent(imageId)}`);
    } catch (error) {
      show(main, h("h1", {}, "Image not available"), h("p", {}, error.message));
      return;
    }
    if (!alive) return;
    const similar = h("ul", { class: "grid", "aria-label": "Similar images" });
    show(main,
      h("p", {}, h("a", { href: "/", "data-link": true }, "← Back to search")),
      h("article", { class: "image-page" },
        h("img", { class: "preview", src: sameOrigin(image.previewUrl), alt: `${image.title} (watermarked preview)`, width: image.width, height: image.height }),
        h("div", { class: "details" },
          h("h1", {}, image.title),
          h("p", { class: "price" }, price(image.priceCents, image.currency)),
          h("p", {}, `${image.width} × ${image.height} px`),
          h("h2", {}, "Tags"),
          h("ul", { class: "chips" }, ...image.tags.map((tag) => h("li", {}, h("a", { href: `/?q=${encodeURIComponent(tag)}`, "data-link": true }, tag)))),
          image.labels && image.labels.length ? [h("h2", {}, "Labels"), h("ul", { class: "chips" }, ...image.labels.map((label) => h("li", {}, label)))] : null,
          h("h2", {}, "Colours"),
          h("ul", { class: "chips" }, ...image.colours.map((colour) => h("li", {}, colour))),
          buyButton(image))),
      h("h2", {}, "Similar images"), similar);
    const others = await similarTo(image);
    if (alive) similar.append(...(others.length ? others.map(card) : [h("li", {}, "None yet.")]));
  })();
  return () => { alive = false; };
}

