// The photographer panel: many files at once, each straight to S3 through its own presigned
// POST with its own progress bar and retry; statuses until PUBLISHED or REJECTED; withdraw.
import { call, postFile } from "./api.js";
import { signIn, user } from "./auth.js";
import { announce, h, price, show } from "./dom.js";

const POLL_MS = 1000;
const TYPES = ["image/jpeg", "image/png", "image/webp"];

function titleOf(file) {
  return file.name.replace(/\.[^.]+$/, "").replace(/[-_]+/g, " ").trim() || "Untitled";
}

export function renderPhotographer(main) {
  if (!user()) {
    show(main, h("h1", {}, "Photographer"), h("button", { type: "button", onclick: () => signIn() }, "Sign in to upload"));
    return null;
  }
  const tags = h("input", { id: "tags", name: "tags", value: "photo", required: true });
  const amount = h("input", { id: "price", name: "price", type: "number", min: "0.5", step: "0.5", value: "9" });
  const input = h("input", { id: "files", type: "file", multiple: true, accept: TYPES.join(","), class: "visually-hidden" });
  const zone = h("div", { class: "dropzone", "data-testid": "dropzone" },
    h("p", {}, "Drop images here, or "), h("label", { for: "files", class: "button" }, "choose files"));
  const sending = h("ul", { class: "transfers", "aria-label": "Uploads in progress" });
  const mine = h("tbody");
  let timer = null;
  let alive = true;

  function declaration(file) {
    return {
      title: titleOf(file),
      tags: tags.value.toLowerCase().split(/[\s,]+/).filter(Boolean),
      priceCents: Math.round(Number(amount.value) * 100),
      currency: "EUR",
      contentType: file.type,
      sizeBytes: file.size,
    };
  }

  async function send(file, item) {
    const bar = h("progress", { max: "1", value: "0", "aria-label": `Upload of ${file.name}` });
    const state = h("span", { class: "state" }, "starting");
    show(item, h("span", { class: "name" }, file.name), bar, state);
    try {
      const created = await call("upload", "/uploads", { method: "POST", signedIn: true, body: declaration(file) });
      state.textContent = "sending";
      await postFile(created.upload, file, (done) => { bar.value = done; });
      bar.value = 1;
      state.textContent = "sent";
      refresh();
    } catch (error) {
      state.textContent = `failed: ${error.message}`;
      item.append(h("button", { type: "button", onclick: () => send(file, item) }, `Retry ${file.name}`));
    }
  }

  function accept(files) {
    for (const file of files) {
      const item = h("li", {});
      sending.append(item);
      send(file, item);
    }
    announce(`${files.length} files uploading`);
  }

  input.addEventListener("change", () => { accept([...input.files]); input.value = ""; });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    accept([...event.dataTransfer.files]);
  });

  function uploadRow(upload) {
    const withdraw = upload.status === "PUBLISHED"
      ? h("button", { type: "button", onclick: async (event) => {
        event.currentTarget.disabled = true;
        await call("upload", `/uploads/${upload.uploadId}`, { method: "DELETE", signedIn: true });
        refresh();
      } }, `Withdraw ${upload.title}`)
      : "";
    return h("tr", { "data-upload": upload.uploadId },
      h("td", {}, upload.title),
      h("td", {}, price(upload.priceCents, upload.currency)),
      h("td", { class: `status ${upload.status.toLowerCase()}` }, upload.status),
      h("td", { class: "reason" }, upload.reason || upload.reviewReason || ""),
      h("td", {}, withdraw));
  }

  async function refresh() {
    clearTimeout(timer);
    const page = await call("upload", "/uploads?limit=100", { signedIn: true });
    if (!alive) return;
    mine.replaceChildren(...page.items.map(uploadRow));
    if (page.items.some((u) => u.status === "PENDING")) timer = setTimeout(refresh, POLL_MS);
  }

  show(main, h("h1", {}, "Photographer"),
    h("form", { class: "upload-settings", onsubmit: (event) => event.preventDefault() },
      h("label", { for: "tags" }, "Tags for new uploads (comma separated)"), tags,
      h("label", { for: "price" }, "Price (EUR)"), amount),
    zone, input, sending,
    h("h2", {}, "My uploads"),
    h("table", {}, h("caption", { class: "visually-hidden" }, "Your uploads"),
      h("thead", {}, h("tr", {}, ...["Title", "Price", "Status", "Reason", ""].map((c) => h("th", { scope: "col" }, c)))), mine));
  refresh();
  return () => { alive = false; clearTimeout(timer); };
}
