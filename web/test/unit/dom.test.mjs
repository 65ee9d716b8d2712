import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeElement, FakeText, installFakeDocument } from './fake-dom.mjs';

installFakeDocument();
const { h, s, replaceChildren, setText, escapeHtml } = await import('../.build/dom.mjs');

const HOSTILE = '<img src=x onerror="window.__omXss=1">Hostile <b>Svc</b><script>window.__omXss=1</script>';

test('string children become a single Text node holding the exact characters', () => {
  const el = h('span', null, HOSTILE);
  assert.equal(el.childNodes.length, 1);
  assert.ok(el.childNodes[0] instanceof FakeText);
  assert.equal(el.textContent, HOSTILE);
  assert.equal(el.all().length, 0, 'no element was created from the markup in the string');
});

test('attributes are set verbatim with setAttribute, booleans and null handled', () => {
  const el = h('a', { href: '/services/x', title: HOSTILE, hidden: true, disabled: false, 'data-n': 3, rel: null });
  assert.equal(el.getAttribute('href'), '/services/x');
  assert.equal(el.getAttribute('title'), HOSTILE);
  assert.equal(el.getAttribute('hidden'), '');
  assert.equal(el.getAttribute('disabled'), null);
  assert.equal(el.getAttribute('data-n'), '3');
  assert.equal(el.getAttribute('rel'), null);
  assert.equal(h('p', { className: 'x' }).getAttribute('class'), 'x');
});

test('there is no way to pass HTML or string event handlers', () => {
  assert.throws(() => h('div', { innerHTML: '<b>x</b>' }), /not allowed/);
  assert.throws(() => h('div', { outerHTML: '<b>x</b>' }), /not allowed/);
  assert.throws(() => h('iframe', { srcdoc: '<b>x</b>' }), /not allowed/);
  assert.throws(() => h('img', { onerror: 'window.__omXss=1' }), /must be a function/);
  assert.throws(() => h('div', { title: () => 1 }), /function given/);
});

test('functions on on* keys become event listeners', () => {
  let clicks = 0;
  const b = h('button', { onclick: () => clicks++ });
  b.dispatch('click');
  b.dispatch('click');
  assert.equal(clicks, 2);
  assert.equal(b.getAttribute('onclick'), null);
});

test('children: numbers, nested arrays, null/false skipped, nodes appended', () => {
  const inner = h('b', null, 'x');
  const el = h('p', null, 1, [' ', ['a', null, false], undefined], inner);
  assert.equal(el.textContent, '1 ax');
  assert.equal(el.childNodes.at(-1), inner);
});

test('svg elements use the SVG namespace', () => {
  const el = s('path', { d: 'M0,0L1,1' });
  assert.equal(el.namespaceURI, 'http://www.w3.org/2000/svg');
  assert.equal(el.getAttribute('d'), 'M0,0L1,1');
});

test('replaceChildren and setText', () => {
  const el = h('div', null, 'a', h('i'));
  replaceChildren(el, 'b', HOSTILE);
  assert.equal(el.childNodes.length, 2);
  assert.equal(el.textContent, 'b' + HOSTILE);
  setText(el, 'c');
  assert.equal(el.textContent, 'c');
  assert.ok(el instanceof FakeElement);
});

test('escapeHtml escapes the five HTML-significant characters (badge snippet)', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(escapeHtml(HOSTILE).includes('<'), false);
  assert.equal(escapeHtml('Microsoft 365'), 'Microsoft 365');
});
