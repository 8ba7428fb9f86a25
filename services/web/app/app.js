// The single-page app: configuration, the account area and the router.
import { configure, completeSignIn, signIn, signOut, user } from "./auth.js";
import { h, navigate, show } from "./dom.js";
import { renderHome } from "./home.js";
import { renderImage } from "./image.js";
import { renderPurchases } from "./purchases.js";
import { renderPhotographer } from "./photographer.js";
import { renderAdmin } from "./admin.js";

const main = document.getElementById("main");
let config = null;
let stopView = () => {};

function renderAccount() {
  const current = user();
  const account = document.getElementById("account");
  if (current) {
    show(account, h("span", { class: "who" }, current.name),
      h("button", { type: "button", onclick: () => signOut() }, "Sign out"));
  } else {
    show(account, h("button", { type: "button", onclick: () => signIn() }, "Sign in"));
  }
}

async function route() {
  stopView();
  stopView = () => {};
  const path = location.pathname;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  let match;
  if (path === "/signed-in") {
    const next = await completeSignIn();
    history.replaceState({}, "", next);
    renderAccount();
    return route();
  }
  if (path === "/") stopView = renderHome(main, config) || stopView;
  else if ((match = /^\/image\/([^/]+)$/.exec(path))) stopView = renderImage(main, decodeURIComponent(match[1])) || stopView;
  else if (path === "/purchases") stopView = renderPurchases(main) || stopView;
  else if (path === "/photographer") stopView = renderPhotographer(main) || stopView;
  else if (path === "/admin") stopView = renderAdmin(main) || stopView;
  else show(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "/", "data-link": true }, "Browse images")));
  main.focus({ preventScroll: true });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", route);

config = await (await fetch("/config.json")).json();
configure(config);
renderAccount();
route();
