// Small DOM helpers: build elements without innerHTML (no markup injection from track metadata),
// and format the numbers the views show.

/**
 * Create an element.
 * @param {string} tag element name
 * @param {Record<string, any>} [attrs] attributes; `class`, `text`, `dataset`, `on*` handlers, booleans
 * @param {...(Node|string|null|undefined|false)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') {
      for (const [property, v] of Object.entries(value)) el.style.setProperty(property.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), v);
    }
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Remove every child of `el` and put `children` in. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** 185.3 → "3:05"; 3725 → "1:02:05". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A number with a fixed count of decimals, or a dash. */
export function fixed(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** 0.4567 → "46%". */
export function percent(value) {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : '–';
}

/** The track's title, or its file name when the tags have none. */
export function trackTitle(track) {
  return track.title || track.path?.split('/').pop() || track.id;
}

/** "artist · album · year", skipping what is missing. */
export function trackByline(track) {
  return [track.artist, track.album, track.year].filter((part) => part !== null && part !== undefined && part !== '').join(' · ');
}

/** A visible, announced error box for an ApiError (or any Error). */
export function errorBox(err, title = 'Something went wrong') {
  const code = err && err.code ? err.code : 'error';
  return h(
    'div',
    { class: 'error-box', role: 'alert', dataset: { code } },
    h('strong', { text: title }),
    h('p', { class: 'error-message', text: err && err.message ? err.message : String(err) }),
    h('p', { class: 'error-code' }, 'code: ', h('code', { text: code })),
  );
}

/** A polite loading line with a spinner. */
export function loading(label) {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label);
}
