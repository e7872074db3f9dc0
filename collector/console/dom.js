// DOM helpers shared by every part of the console (and by technology.js and deploy.js).
// Everything from the API goes in with textContent (el's children), never as HTML.
/* global document, Node */

export const $ = (selector) => document.querySelector(selector);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node[k] = v;
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function banner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = !text;
}
