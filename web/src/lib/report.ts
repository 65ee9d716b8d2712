// The report dialog: "I have a problem with X" → problem type → location → submit → thanks.
//
// Location comes from the browser's geolocation, asked only when the user clicks "Use my
// location" (that click is the consent), or from the server's city autocomplete. The submit
// button is disabled while a request is in flight; the reporter id is a random value kept in
// localStorage, sent as `reporter` so the server counts one report per person and service.

import { ApiError, enc, getJSON, getOptional, postReport, qs, type City, type ReportBody, type ServiceDetail } from './api';
import { h, replaceChildren } from './dom';
import { problemLabel } from './format';
import { debounce } from './live';
import { errorText } from './ui';

const REPORTER_KEY = 'om.reporter';
let memoryReporter: string | null = null;

function randomId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A stable anonymous id for this browser (random, never derived from the person). */
export function reporterId(storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeStorage()): string {
  try {
    const cur = storage?.getItem(REPORTER_KEY);
    if (cur && /^w-[0-9a-f-]{16,64}$/.test(cur)) return cur;
    const id = `w-${randomId()}`;
    storage?.setItem(REPORTER_KEY, id);
    if (storage) return id;
  } catch {
    // storage blocked: fall through to a per-page id
  }
  memoryReporter ??= `w-${randomId()}`;
  return memoryReporter;
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export type Location =
  | { kind: 'coords'; lat: number; lon: number }
  | { kind: 'city'; lat: number; lon: number; name: string; country: string; region?: string };

/** The JSON body of a report from the dialog's choices. */
export function buildReportBody(service: string, problem: string, loc: Location | null, reporter: string, text: string): ReportBody {
  const body: ReportBody = { service, problem, reporter };
  if (loc) {
    body.lat = Math.round(loc.lat * 1e5) / 1e5;
    body.lon = Math.round(loc.lon * 1e5) / 1e5;
  }
  const t = text.trim();
  if (t) body.text = t;
  return body;
}

/** The sentence shown after a successful submit. */
export function confirmationText(serviceName: string, loc: Location | null, accepted: number, duplicates: number): string {
  const where = loc?.kind === 'city' ? ` in ${loc.name}` : loc ? ' at your location' : '';
  if (accepted === 0 && duplicates > 0) {
    return `You already told us about a problem with ${serviceName} in the last 30 minutes, so we kept your earlier report. Thank you — it still counts.`;
  }
  return `Thanks — your report for ${serviceName}${where} was counted.`;
}

/** The message for a refused report, from the server's answer. */
export function refusalText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) {
      const wait = e.retryAfter ? ` Please try again in ${e.retryAfter} second${e.retryAfter === 1 ? '' : 's'}.` : ' Please try again in a moment.';
      return `${e.message}.${wait}`.replace('..', '.');
    }
    if (e.status === 403) return `The report was refused: ${e.message}. Reload the page and try again.`;
    return `The report was refused: ${e.message}`;
  }
  return `The report could not be sent: ${errorText(e)}. Check your connection and try again.`;
}

export interface ReportDialogOptions {
  serviceId: string;
  serviceName?: string;
  opener?: HTMLElement | null;
}

let seq = 0;

export function openReportDialog(opts: ReportDialogOptions): HTMLDialogElement {
  const n = ++seq;
  const titleId = `report-title-${n}`;
  const title = h('h2', { id: titleId, class: 'dialog-title' }, `I have a problem with ${opts.serviceName ?? opts.serviceId}`);
  const body = h('div', { class: 'dialog-body' }, h('p', { class: 'msg msg-info' }, 'Loading…'));
  const dialog = h(
    'dialog',
    { class: 'dialog report-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'dialog-head' },
      title,
      h('button', { type: 'button', class: 'btn btn-icon dialog-close', 'aria-label': 'Close', onclick: () => close() }, '✕'),
    ),
    body,
  );
  document.body.appendChild(dialog);
  const close = () => {
    if (dialog.open) dialog.close();
  };
  dialog.addEventListener('close', () => {
    dialog.remove();
    opts.opener?.focus();
  });
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) close();
  });
  if (typeof dialog.showModal === 'function') dialog.showModal();
  else dialog.setAttribute('open', '');

  getJSON<ServiceDetail>(`/api/v1/services/${enc(opts.serviceId)}`)
    .then((svc) => {
      title.textContent = `I have a problem with ${svc.name}`;
      renderForm(dialog, body, svc, close);
    })
    .catch((e) => {
      replaceChildren(body, h('p', { class: 'msg msg-error', role: 'alert' }, `Could not load the service: ${errorText(e)}`));
    });
  return dialog;
}

function renderForm(dialog: HTMLDialogElement, body: HTMLElement, svc: ServiceDetail, close: () => void): void {
  const n = seq;
  let location: Location | null = null;
  let inFlight = false;

  const problems = svc.problems.length ? svc.problems : ['other'];
  const radios = problems.map((p, i) =>
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: `problem-${n}`, value: p, required: i === 0 }),
      h('span', null, problemLabel(p)),
    ),
  );
  const problemSet = h('fieldset', { class: 'field' }, h('legend', null, "What's not working?"), h('div', { class: 'choices' }, radios));

  const chosen = h('p', { class: 'chosen', 'aria-live': 'polite' }, 'No location chosen yet (optional).');
  const geoMsg = h('p', { class: 'field-note', 'aria-live': 'polite' });
  const geoBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-action': 'geolocate' }, 'Use my location');
  const listId = `city-list-${n}`;
  const inputId = `city-input-${n}`;
  const input = h('input', {
    id: inputId,
    type: 'text',
    class: 'input',
    autocomplete: 'off',
    spellcheck: 'false',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    placeholder: 'Start typing a city',
  });
  const list = h('ul', { id: listId, class: 'combo-list', role: 'listbox', 'aria-label': 'Cities', hidden: true });
  let options: City[] = [];
  let active = -1;

  const setLocation = (loc: Location | null, text: string) => {
    location = loc;
    chosen.textContent = text;
    chosen.classList.toggle('is-set', !!loc);
  };
  const closeList = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const pick = (i: number) => {
    const c = options[i];
    if (!c) return;
    input.value = `${c.name}, ${c.country}`;
    setLocation(
      { kind: 'city', lat: c.lat, lon: c.lon, name: c.name, country: c.country, region: c.region },
      `Location: ${c.name}${c.region ? `, ${c.region}` : ''}, ${c.country}`,
    );
    closeList();
  };
  const highlight = (i: number) => {
    active = i;
    Array.from(list.children).forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    if (i >= 0) input.setAttribute('aria-activedescendant', `${listId}-${i}`);
    else input.removeAttribute('aria-activedescendant');
  };
  let searchAbort: AbortController | null = null;
  const search = debounce(async (q: string) => {
    searchAbort?.abort();
    if (q.length < 2) {
      options = [];
      closeList();
      return;
    }
    const ac = new AbortController();
    searchAbort = ac;
    try {
      const d = await getOptional<{ cities: City[] }>(`/api/v1/geo/cities${qs({ q, limit: 8 })}`, ac.signal);
      if (ac.signal.aborted) return;
      if (!d) {
        geoMsg.textContent = 'City search is not available on this server. Use your location instead.';
        return;
      }
      options = d.cities ?? [];
      replaceChildren(
        list,
        options.length
          ? options.map((c, i) =>
              h(
                'li',
                {
                  id: `${listId}-${i}`,
                  role: 'option',
                  class: 'combo-option',
                  'aria-selected': 'false',
                  onmousedown: (e: Event) => e.preventDefault(),
                  onclick: () => pick(i),
                },
                h('span', { class: 'combo-name' }, c.name),
                h('span', { class: 'combo-meta' }, `${c.region ?? ''}${c.region ? ', ' : ''}${c.country}`),
              ),
            )
          : h('li', { class: 'combo-empty', role: 'option', 'aria-disabled': 'true' }, 'No city found'),
      );
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      highlight(options.length ? 0 : -1);
    } catch (e) {
      if (!ac.signal.aborted) geoMsg.textContent = `City search failed: ${errorText(e)}`;
    }
  }, 180);
  input.addEventListener('input', () => {
    if (location?.kind === 'city') setLocation(null, 'No location chosen yet (optional).');
    search(input.value.trim());
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) {
      if (e.key === 'ArrowDown' && options.length) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
        highlight(0);
        e.preventDefault();
      }
      return;
    }
    if (e.key === 'ArrowDown') {
      highlight(Math.min(options.length - 1, active + 1));
      e.preventDefault();
    } else if (e.key === 'ArrowUp') {
      highlight(Math.max(0, active - 1));
      e.preventDefault();
    } else if (e.key === 'Enter') {
      if (active >= 0) {
        pick(active);
        e.preventDefault();
      }
    } else if (e.key === 'Escape') {
      closeList();
      e.preventDefault();
      e.stopPropagation();
    }
  });
  input.addEventListener('blur', () => setTimeout(closeList, 150));

  geoBtn.addEventListener('click', () => {
    if (!('geolocation' in navigator)) {
      geoMsg.textContent = 'This browser cannot share a location. Search for your city instead.';
      return;
    }
    geoBtn.disabled = true;
    geoMsg.textContent = 'Asking your browser for your location…';
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        geoBtn.disabled = false;
        geoMsg.textContent = '';
        const { latitude, longitude } = pos.coords;
        setLocation({ kind: 'coords', lat: latitude, lon: longitude }, `Location: your position (${latitude.toFixed(2)}, ${longitude.toFixed(2)})`);
      },
      (err) => {
        geoBtn.disabled = false;
        geoMsg.textContent =
          err.code === err.PERMISSION_DENIED
            ? 'Location permission was denied. Search for your city instead.'
            : 'Your location is not available right now. Search for your city instead.';
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 },
    );
  });

  const locationSet = h(
    'fieldset',
    { class: 'field' },
    h('legend', null, 'Where are you?'),
    h('div', { class: 'geo-row' }, geoBtn, h('span', { class: 'or' }, 'or')),
    h('label', { for: inputId, class: 'label' }, 'Search your city'),
    h('div', { class: 'combo' }, input, list),
    geoMsg,
    chosen,
  );

  const textId = `report-text-${n}`;
  const text = h('textarea', { id: textId, class: 'input', rows: 2, maxlength: 1024, placeholder: 'e.g. an error message you see' });
  const textField = h('div', { class: 'field' }, h('label', { for: textId, class: 'label' }, 'Anything to add? (optional)'), text);

  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'submit-report' }, 'Send report');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => close() }, 'Cancel');
  const form = h(
    'form',
    { class: 'report-form', novalidate: true },
    problemSet,
    locationSet,
    textField,
    status,
    h('div', { class: 'dialog-actions' }, cancel, submit),
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (inFlight) return;
    const checked = form.querySelector<HTMLInputElement>(`input[name="problem-${n}"]:checked`);
    if (!checked) {
      status.textContent = 'Choose what is not working first.';
      status.className = 'form-status is-error';
      form.querySelector<HTMLInputElement>(`input[name="problem-${n}"]`)?.focus();
      return;
    }
    if (new TextEncoder().encode(text.value.trim()).length > 1024) {
      status.textContent = 'The text is too long (at most 1024 bytes).';
      status.className = 'form-status is-error';
      return;
    }
    inFlight = true;
    submit.disabled = true;
    submit.textContent = 'Sending…';
    status.textContent = '';
    status.className = 'form-status';
    const loc = location;
    try {
      const answer = await postReport(buildReportBody(svc.id, checked.value, loc, reporterId(), text.value));
      const accepted = answer.accepted ?? 0;
      const duplicates = answer.duplicates ?? 0;
      window.dispatchEvent(new CustomEvent('om:reported', { detail: { service: svc.id, accepted, duplicates } }));
      const done = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => close() }, 'Done');
      replaceChildren(
        body,
        h(
          'div',
          { class: 'confirmation', 'data-result': accepted > 0 ? 'counted' : 'duplicate' },
          h('p', { class: 'confirmation-text', role: 'status' }, confirmationText(svc.name, loc, accepted, duplicates)),
          h('div', { class: 'dialog-actions' }, done),
        ),
      );
      done.focus();
    } catch (err) {
      status.textContent = refusalText(err);
      status.className = 'form-status is-error';
      submit.disabled = false;
      submit.textContent = 'Send report';
      inFlight = false;
    }
  });

  replaceChildren(body, form);
  const first = form.querySelector<HTMLInputElement>('input[type=radio]');
  first?.focus();
  void dialog;
}
