// Tiny DOM helpers: elements from tag, attributes and children (text is never parsed as HTML).

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "style") Object.assign(element.style, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function show(container, ...children) {
  container.replaceChildren(...children.flat());
}

export function announce(message) {
  document.getElementById("status").textContent = message;
}

export function price(cents, currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).format(cents / 100);
}

export function navigate(path) {
  history.pushState({}, "", path);
  window.dispatchEvent(new Event("popstate"));
}

// Rendition URLs are served on this origin (/thumbnails/..., /previews/...): the CSP says 'self'.
export function sameOrigin(url) {
  const match = /\/((?:thumbnails|previews)\/[^/?#]+)$/.exec(new URL(url).pathname);
  return match ? `/${match[1]}` : url;
}
