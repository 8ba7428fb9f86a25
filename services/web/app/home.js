// The homesite: search by words, colour, orientation and sort; results with infinite scroll.
import { call } from "./api.js";
import { announce, h, price, sameOrigin, show } from "./dom.js";

const PAGE_SIZE = 24;

export function card(image) {
  return h("li", { class: "card" },
    h("a", { href: `/image/${encodeURIComponent(image.imageId)}`, "data-link": true },
      h("img", { src: sameOrigin(image.thumbnailUrl), alt: image.title, width: 320, height: 240, loading: "lazy" }),
      h("span", { class: "title" }, image.title)),
    h("span", { class: "price" }, price(image.priceCents, image.currency)));
}

export function renderHome(main, config) {
  const params = new URLSearchParams(location.search);
  const state = {
    words: params.get("q") || "",
    colour: params.get("colour") || "",
    orientation: params.get("orientation") || "",
    sort: params.get("sort") || "",
    cursor: null,
    done: false,
    loading: false,
    generation: 0, // bumped by each new search: answers to an older one are dropped
  };
  const grid = h("ul", { class: "grid", "aria-label": "Results" });
  const more = h("button", { type: "button", class: "more", onclick: () => load() }, "Load more");
  const sentinel = h("div", { class: "sentinel" });
  const summary = h("p", { class: "summary", "aria-live": "polite" });

  const words = h("input", { id: "q", name: "q", type: "search", value: state.words, placeholder: "e.g. mountain" });
  const swatches = h("div", { class: "swatches", role: "group", "aria-label": "Colour" },
    ...config.colours.map((colour) => h("button", {
      type: "button", class: "swatch", "data-colour": colour, title: colour,
      "aria-label": colour, "aria-pressed": String(state.colour === colour),
      style: { backgroundColor: colour === "grey" ? "gray" : colour },
      onclick: () => {
        state.colour = state.colour === colour ? "" : colour;
        for (const swatch of swatches.children) swatch.setAttribute("aria-pressed", String(swatch.dataset.colour === state.colour));
        restart();
      },
    })));
  const orientation = h("select", { id: "orientation", name: "orientation", onchange: () => { state.orientation = orientation.value; restart(); } },
    ...["", "landscape", "portrait", "square"].map((value) =>
      h("option", { value, selected: state.orientation === value }, value || "any")));
  const sort = h("select", { id: "sort", name: "sort", onchange: () => { state.sort = sort.value; restart(); } },
    ...[["", "best match"], ["recent", "newest"], ["popularity", "most bought"]].map(([value, text]) =>
      h("option", { value, selected: state.sort === value }, text)));
  const form = h("form", { class: "search", role: "search", onsubmit: (event) => { event.preventDefault(); state.words = words.value.trim(); restart(); } },
    h("label", { for: "q" }, "Search"), words, h("button", { type: "submit" }, "Search"),
    h("span", { class: "label" }, "Colour"), swatches,
    h("label", { for: "orientation" }, "Orientation"), orientation,
    h("label", { for: "sort" }, "Sort"), sort);

  function query() {
    // Words search titles, tags and labels (q); "best match" is relevance with words, newest without.
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.words) query.set("q", state.words);
    if (state.sort) query.set("sort", state.sort);
    if (state.colour) query.set("colour", state.colour);
    if (state.orientation) query.set("orientation", state.orientation);
    if (state.cursor) query.set("cursor", state.cursor);
    return query;
  }

  function restart() {
    const shown = new URLSearchParams();
    if (state.words) shown.set("q", state.words);
    if (state.colour) shown.set("colour", state.colour);
    if (state.orientation) shown.set("orientation", state.orientation);
    if (state.sort) shown.set("sort", state.sort);
    history.replaceState({}, "", `/${shown.size ? `?${shown}` : ""}`);
    state.cursor = null;
    state.done = false;
    state.loading = false;
    state.generation += 1;
    grid.replaceChildren();
    load();
  }

  async function load() {
    if (state.loading || state.done) return;
    state.loading = true;
    const generation = state.generation;
    try {
      const page = await call("catalog", `/images?${query()}`);
      if (generation !== state.generation) return;
      grid.append(...page.items.map(card));
      state.cursor = page.cursor || null;
      state.done = !state.cursor;
      summary.textContent = grid.children.length ? `${grid.children.length} images` : "No images match.";
      announce(summary.textContent);
    } catch (error) {
      if (generation === state.generation) summary.textContent = `Search failed: ${error.message}`;
    } finally {
      if (generation === state.generation) {
        state.loading = false;
        more.hidden = state.done;
      }
    }
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) load();
  });
  observer.observe(sentinel);
  show(main, h("h1", {}, "Find images"), form, summary, grid, more, sentinel);
  load();
  return () => observer.disconnect();
}
