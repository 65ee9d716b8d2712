// Small shared pieces of UI: status pills and icons, cards, messages.

import { h, s } from './dom';
import { statusInfo } from './format';

/** Status icon: a check in a circle (normal), "!" in a circle (possible), "!" in a triangle (outage). */
export function statusIcon(status: string): SVGElement {
  const cls = `status-icon status-icon-${status}`;
  if (status === 'outage') {
    return s(
      'svg',
      { class: cls, viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
      s('path', { d: 'M8 1.2 15.2 14.3H.8Z', class: 'icon-shape' }),
      s('path', { d: 'M8 5.6v4.1M8 11.6v.9', class: 'icon-mark' }),
    );
  }
  if (status === 'possible') {
    return s(
      'svg',
      { class: cls, viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
      s('circle', { cx: 8, cy: 8, r: 7, class: 'icon-shape' }),
      s('path', { d: 'M8 4.2v4.6M8 10.9v.9', class: 'icon-mark' }),
    );
  }
  return s(
    'svg',
    { class: cls, viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
    s('circle', { cx: 8, cy: 8, r: 7, class: 'icon-shape' }),
    s('path', { d: 'M4.6 8.3l2.3 2.3 4.5-4.7', class: 'icon-mark' }),
  );
}

export function statusPill(status: string, short = false): HTMLElement {
  const info = statusInfo(status);
  return h(
    'span',
    { class: `pill pill-${status in { outage: 1, possible: 1 } ? status : 'normal'}`, 'data-status': status },
    statusIcon(status),
    h('span', { class: 'pill-text' }, short ? info.short : info.label),
  );
}

export function card(title: string | null, ...body: (Node | null | false)[]): HTMLElement {
  const id = title ? `card-${Math.random().toString(36).slice(2, 9)}` : null;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    title ? h('h2', { class: 'card-title', id }, title) : null,
    body,
  );
}

export function message(kind: 'info' | 'error' | 'empty', text: string): HTMLElement {
  return h('p', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : null }, text);
}

export function link(href: string, text: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  return h('a', { href, ...attrs }, text);
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
