// The page's entry point: reads the URL, shows one of the three views, keeps the URL in step with
// what is shown (so every state is a link), and wires the search box and the footer.
//
//   /?q=calm+piano&page=2     search results
//   /?track=ID                one track
//   /?view=map&tag=piano      the tag map, a tag selected
//   /?view=map&layer=tracks   the track map

import { getJson } from './api.js';
import { renderSearch } from './search.js';
import { renderTrack } from './track.js';
import { renderMap } from './tagmap.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('search-form'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('q'));
const views = {
  search: document.getElementById('view-search'),
  track: document.getElementById('view-track'),
  map: document.getElementById('view-map'),
};

/** The view and its parameters named by the current URL. */
function currentState() {
  const params = new URLSearchParams(window.location.search);
  if (params.get('track')) return { view: 'track', id: params.get('track') };
  if (params.get('view') === 'map') return { view: 'map', layer: params.get('layer') ?? 'tags', tag: params.get('tag') };
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return { view: 'search', q: params.get('q') ?? '', page: Number.isFinite(page) && page > 0 ? page : 1 };
}

/** Go to the URL made of `params` (empty values dropped) and show it. */
function navigate(params, { replace = false } = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const url = search.toString() ? `/?${search}` : '/';
  if (url !== window.location.pathname + window.location.search) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  }
  render();
  window.scrollTo({ top: 0 });
}

function render() {
  const state = currentState();
  for (const [name, el] of Object.entries(views)) el.hidden = name !== state.view;
  document.querySelectorAll('[data-view]').forEach((link) => {
    if (link.dataset.view === state.view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  });
  document.body.dataset.view = state.view;
  if (state.view === 'search') {
    input.value = state.q;
    renderSearch(state, navigate);
  } else if (state.view === 'track') {
    renderTrack(state.id);
  } else {
    renderMap(state, navigate);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  navigate({ q: input.value.trim() });
});

// Links inside the page (marked data-nav) change the view without reloading; other clicks
// (new tab, modifiers) keep the browser's behaviour.
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-nav]') : null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const url = new URL(link.href);
  navigate(Object.fromEntries(url.searchParams));
});

// "/" focuses the search box from anywhere except a text field.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
  event.preventDefault();
  input.focus();
  input.select();
});

window.addEventListener('popstate', render);

async function showCatalog() {
  const footer = document.getElementById('catalog');
  try {
    const health = await getJson('/health');
    footer.textContent = `${health.tracks} track${health.tracks === 1 ? '' : 's'} indexed · musearch ${health.version}`;
  } catch (err) {
    footer.textContent = `Server unavailable: ${err.message}`;
  }
}

render();
showCatalog();
