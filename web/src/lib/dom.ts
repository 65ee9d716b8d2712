// A tiny element builder. Every string child becomes a Text node and every attribute value is
// set with setAttribute, so text from users (service names, city names, report texts) can never
// become markup. There is deliberately no way to pass HTML.

export type Child = Node | string | number | null | undefined | false | Child[];
export type AttrValue = string | number | boolean | null | undefined;
export type Attrs = {
  [key: string]: AttrValue | EventListener | ((ev: any) => void);
};

const SVG_NS = 'http://www.w3.org/2000/svg';
const FORBIDDEN = new Set(['innerhtml', 'outerhtml', 'srcdoc']);

function applyAttrs(el: Element, attrs: Attrs | null | undefined): void {
  if (!attrs) return;
  for (const key of Object.keys(attrs)) {
    const value = attrs[key];
    const lower = key.toLowerCase();
    if (FORBIDDEN.has(lower)) throw new Error(`h(): attribute ${key} is not allowed`);
    if (typeof value === 'function') {
      if (!lower.startsWith('on')) throw new Error(`h(): function given for ${key}`);
      el.addEventListener(lower.slice(2), value as EventListener);
      continue;
    }
    if (lower.startsWith('on')) throw new Error(`h(): ${key} must be a function`);
    if (value === null || value === undefined || value === false) continue;
    if (value === true) {
      el.setAttribute(key, '');
    } else if (key === 'class' || key === 'className') {
      el.setAttribute('class', String(value));
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

export function appendChildren(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      appendChildren(parent, child);
    } else if (typeof child === 'string' || typeof child === 'number') {
      parent.appendChild(document.createTextNode(String(child)));
    } else {
      parent.appendChild(child);
    }
  }
}

/** Builds an HTML element: h('a', {href: '/x', class: 'link'}, 'text', otherNode). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

/** Builds an SVG element (icons, sparklines). */
export function s(tag: string, attrs?: Attrs | null, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  applyAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

/** Replaces every child of `parent` with `children`. */
export function replaceChildren(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  appendChildren(parent, children);
}

/** Sets the text of a node only when it changed (keeps live regions quiet). */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Escapes text for use inside HTML source that a person copies (the badge embed snippet shown
 * as text). The UI itself never builds HTML from strings.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
