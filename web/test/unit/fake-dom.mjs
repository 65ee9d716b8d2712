// A minimal DOM for the element-builder tests: enough to see what h() creates, and nothing
// that parses HTML (so a string can only ever become a Text node).
class FakeNode {
  constructor() {
    this.childNodes = [];
    this.parentNode = null;
  }
  appendChild(c) {
    if (c.parentNode) c.parentNode.removeChild(c);
    this.childNodes.push(c);
    c.parentNode = this;
    return c;
  }
  removeChild(c) {
    this.childNodes = this.childNodes.filter((x) => x !== c);
    c.parentNode = null;
    return c;
  }
  get firstChild() {
    return this.childNodes[0] ?? null;
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(v) {
    this.childNodes = [];
    if (v !== '') this.appendChild(new FakeText(String(v)));
  }
}
export class FakeText extends FakeNode {
  constructor(data) {
    super();
    this.nodeType = 3;
    this.data = data;
  }
  get textContent() {
    return this.data;
  }
}
export class FakeElement extends FakeNode {
  constructor(tag, ns = null) {
    super();
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this.namespaceURI = ns;
    this.attributes = new Map();
    this.listeners = {};
  }
  setAttribute(k, v) {
    this.attributes.set(k, String(v));
  }
  getAttribute(k) {
    return this.attributes.has(k) ? this.attributes.get(k) : null;
  }
  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }
  dispatch(type, ev = {}) {
    for (const fn of this.listeners[type] ?? []) fn(ev);
  }
  /** All descendant elements, depth first. */
  all() {
    const out = [];
    const walk = (n) => {
      for (const c of n.childNodes) {
        if (c instanceof FakeElement) {
          out.push(c);
          walk(c);
        }
      }
    };
    walk(this);
    return out;
  }
}
export function installFakeDocument() {
  globalThis.document = {
    createElement: (t) => new FakeElement(t),
    createElementNS: (ns, t) => new FakeElement(t, ns),
    createTextNode: (d) => new FakeText(d),
  };
}
