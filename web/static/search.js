// The search view: what the engine understood of the query, the ranked results with the tags
// that explain each one, and pages of results. State lives in the URL (?q=…&page=…).

import { getJson } from './api.js';
import { h, replaceChildren, formatDuration, fixed, percent, trackTitle, errorBox, loading } from './dom.js';
import { playButton } from './player.js';

/** Results per page. */
export const PAGE_SIZE = 10;

const view = document.getElementById('view-search');
let inFlight = null;

/** Examples offered on the empty page; each is just a query to run. */
const EXAMPLES = ['calm piano', 'fast electronic drums', 'epic orchestral', 'guitar without vocals', 'happy dance'];

/**
 * Show the search view for `q` at `page` (1-based).
 * @param {{q: string, page: number}} state
 * @param {(params: Record<string,string>) => void} navigate changes the URL and re-renders
 */
export async function renderSearch(state, navigate) {
  if (inFlight) inFlight.abort();
  const q = state.q.trim();
  if (!q) {
    document.title = 'musearch';
    replaceChildren(view, welcome(navigate));
    return;
  }
  document.title = `${q} – musearch`;
  const controller = new AbortController();
  inFlight = controller;
  view.setAttribute('aria-busy', 'true');
  replaceChildren(view, loading(`Searching for “${q}”…`));
  const offset = (state.page - 1) * PAGE_SIZE;
  try {
    const response = await getJson('/search', { q, limit: PAGE_SIZE, offset }, controller.signal);
    replaceChildren(
      view,
      interpretation(response.interpreted, navigate),
      note(response.note),
      summary(response),
      resultList(response.results, offset),
      pagination(response, q, navigate),
    );
  } catch (err) {
    if (err.name === 'AbortError') return;
    replaceChildren(view, errorBox(err, 'The search failed'));
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      view.removeAttribute('aria-busy');
    }
  }
}

function welcome(navigate) {
  return h(
    'div',
    { class: 'welcome' },
    h('h1', { text: 'Search music by how it sounds' }),
    h(
      'p',
      { class: 'lede' },
      'Describe a sound in your own words. Every track was listened to by a neural network that tagged it; ',
      'your words are matched to those tags, and the tags that matched are shown with every result.',
    ),
    h(
      'ul',
      { class: 'examples', 'aria-label': 'Example searches' },
      EXAMPLES.map((example) =>
        h('li', {}, h('button', { type: 'button', class: 'chip chip-action', onclick: () => navigate({ q: example }) }, example)),
      ),
    ),
  );
}

/** Name of an interpreted tag entry, which may be a plain string or {tag, weight}. */
function entryName(entry) {
  return typeof entry === 'string' ? entry : entry.tag ?? entry.name ?? String(entry);
}

function interpretation(interpreted, navigate) {
  if (!interpreted) return null;
  const parts = [];
  for (const entry of interpreted.tags ?? []) {
    const down = entry.weight < 0;
    parts.push(
      h(
        'li',
        { class: `chip chip-tag${down ? ' chip-negated' : ''}`, title: `${down ? 'pushes down' : 'pulls up'} tracks with “${entry.tag}”: weight ${fixed(entry.weight, 3)}`, dataset: { tag: entry.tag, weight: String(entry.weight) } },
        down ? h('span', { class: 'chip-sign', 'aria-hidden': 'true', text: '−' }) : null,
        down ? h('span', { class: 'visually-hidden', text: 'not ' }) : null,
        h('span', { class: 'chip-name', text: entry.tag }),
        h('span', { class: 'chip-value', text: fixed(Math.abs(entry.weight)) }),
      ),
    );
  }
  for (const entry of interpreted.negated ?? []) {
    const name = entryName(entry);
    parts.push(
      h(
        'li',
        { class: 'chip chip-term chip-negated', title: `negated in the query: “${name}”` },
        h('span', { class: 'chip-value', text: 'without' }),
        h('span', { class: 'chip-name', text: name }),
      ),
    );
  }
  for (const word of interpreted.unknown ?? []) {
    parts.push(h('li', { class: 'chip chip-text', title: 'not a sound: searched in titles, artists and albums' }, h('span', { class: 'chip-sign', 'aria-hidden': 'true', text: '“' }), word, h('span', { class: 'chip-sign', 'aria-hidden': 'true', text: '”' })));
  }
  const didYouMean = interpreted.did_you_mean
    ? h(
        'p',
        { class: 'did-you-mean' },
        'Did you mean ',
        h('a', {
          href: `/?q=${encodeURIComponent(interpreted.did_you_mean)}`,
          text: interpreted.did_you_mean,
          onclick: (event) => {
            event.preventDefault();
            navigate({ q: interpreted.did_you_mean });
          },
        }),
        '?',
      )
    : null;
  return h(
    'section',
    { class: 'interpreted', 'aria-label': 'How the query was understood' },
    h('h2', { class: 'eyebrow', text: interpreted.text_only ? 'Searched as text only' : 'Understood as' }),
    parts.length ? h('ul', { class: 'chips' }, parts) : h('p', { class: 'muted', text: 'No sound tags matched these words.' }),
    didYouMean,
  );
}

/** The engine's remark on the whole answer (nothing matches well …), when it has one. */
function note(text) {
  return text ? h('p', { class: 'search-note', id: 'search-note', role: 'note', text }) : null;
}

/** Why a result was moved down, as the listener reads it. */
const DEMOTED = {
  weak_evidence: 'weak match',
  short: 'short clip',
  near_silent: 'near-silent',
};

/** Badges for a result moved down (weak match, short, near-silent). */
function marks(hit) {
  const demoted = hit.demoted ?? [];
  if (!demoted.length) return null;
  return h(
    'ul',
    { class: 'marks', 'aria-label': 'Moved down because' },
    demoted.map((code) => h('li', { class: `mark mark-${code.replace('_', '-')}`, dataset: { code }, text: DEMOTED[code] ?? code })),
  );
}

/** The other recordings folded into a result (another format, a loop variant). */
function versions(hit) {
  const list = hit.versions ?? [];
  if (!list.length) return null;
  const formats = list.map((v) => v.format).join(', ');
  return h('p', { class: 'versions', dataset: { count: String(list.length) }, title: list.map((v) => v.path).join('\n'), text: `also as ${formats} (${list.length} more version${list.length === 1 ? '' : 's'})` });
}

function summary(response) {
  const { total, offset, results, took_ms: took } = response;
  const text =
    total === 0
      ? 'No tracks found.'
      : `${offset + 1}–${offset + results.length} of ${total} track${total === 1 ? '' : 's'}`;
  return h('p', { class: 'result-meta', id: 'result-meta', role: 'status', dataset: { total: String(total) } }, text, Number.isFinite(took) ? h('span', { class: 'muted', text: ` · ${fixed(took, 1)} ms` }) : null);
}

function resultList(results, offset) {
  if (!results.length) return null;
  const best = Math.max(...results.map((r) => Math.abs(r.score ?? r.similarity ?? 0)), 1e-9);
  return h('ol', { class: 'results', id: 'results', start: String(offset + 1) }, results.map((hit) => resultItem(hit, best)));
}

/** One search (or similar-tracks, or tag) hit as a list item; shared by the other views. */
export function resultItem(hit, best = 1) {
  const title = trackTitle(hit);
  const value = hit.similarity ?? hit.score;
  const valueLabel = hit.similarity !== undefined ? 'similarity' : 'score';
  return h(
    'li',
    { class: `result${hit.weak_match ? ' result-weak' : ''}`, dataset: { trackId: hit.id } },
    playButton(hit, title),
    h(
      'div',
      { class: 'result-main' },
      h('a', { class: 'result-title', href: `/?track=${encodeURIComponent(hit.id)}`, 'data-nav': true, text: title }),
      h('p', { class: 'result-byline' }, [hit.artist || 'Unknown artist', hit.album, hit.year].filter(Boolean).join(' · ')),
      marks(hit),
      explanation(hit.explanation),
      versions(hit),
    ),
    h(
      'div',
      { class: 'result-side' },
      h('span', { class: 'duration', 'aria-label': 'duration', text: formatDuration(hit.duration_secs) }),
      h(
        'span',
        { class: 'score', title: `${valueLabel} ${fixed(value, 4)}` },
        h('span', { class: 'visually-hidden', text: `${valueLabel} ` }),
        fixed(value, 3),
        h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { style: { width: `${Math.max(0, Math.min(1, Math.abs(value) / best)) * 100}%` } })),
      ),
    ),
  );
}

/** `MTT_musicnn` → `MTT`. */
function shortModel(model) {
  return String(model).split('_')[0];
}

/** One chip per tag name: where several models output the tag, the chip shows each one's evidence. */
function explanation(explained) {
  if (!explained) return null;
  const byTag = explained.by_tag ?? (explained.tags ?? []).map((t) => ({ ...t, models: [t] }));
  const chips = byTag.map((entry) => {
    const negated = entry.weight < 0;
    const models = entry.models ?? [];
    const evidence = models.map((m) => `${m.model}: probability ${fixed(m.probability, 3)}, calibrated ${fixed(m.calibrated, 2)} standard deviations from the catalog mean, contribution ${fixed(m.contribution, 3)}`).join('; ');
    const detail = `${negated ? 'negated tag' : 'matched tag'} “${entry.tag}”: weight ${fixed(entry.weight, 3)}, contribution ${fixed(entry.contribution, 3)}; ${evidence}`;
    return h(
      'li',
      {
        class: `chip chip-why${negated ? ' chip-negated' : ''}`,
        title: detail,
        style: { '--p': String(Math.max(0, Math.min(1, entry.probability ?? 0))) },
        dataset: { tag: entry.tag, models: models.map((m) => m.model).join(',') },
      },
      h('span', { class: 'visually-hidden', text: detail }),
      h('span', { 'aria-hidden': 'true', class: 'chip-name' }, negated ? '− ' : '', entry.tag),
      h('span', { 'aria-hidden': 'true', class: 'chip-value', text: `${fixed(Math.abs(entry.weight))} × ${models.map((m) => (models.length > 1 ? `${shortModel(m.model)} ${percent(m.probability)}` : percent(m.probability))).join(' · ')}` }),
    );
  });
  if (explained.text) {
    chips.push(h('li', { class: 'chip chip-text', title: `text match: rank ${explained.text.rank}, score ${fixed(explained.text.score, 3)}` }, `text match #${explained.text.rank}`));
  }
  return chips.length ? h('ul', { class: 'chips chips-small', 'aria-label': 'Why it matched' }, chips) : null;
}

function pagination(response, q, navigate) {
  const pages = Math.ceil(response.total / PAGE_SIZE);
  if (pages <= 1) return null;
  const page = Math.floor(response.offset / PAGE_SIZE) + 1;
  const go = (target) => navigate({ q, page: target > 1 ? String(target) : undefined });
  return h(
    'nav',
    { class: 'pagination', 'aria-label': 'Result pages' },
    h('button', { type: 'button', class: 'button', disabled: page <= 1, onclick: () => go(page - 1), 'aria-label': 'Previous page' }, '← Previous'),
    h('span', { class: 'page-of', 'aria-current': 'page', text: `Page ${page} of ${pages}` }),
    h('button', { type: 'button', class: 'button', disabled: page >= pages, onclick: () => go(page + 1), 'aria-label': 'Next page' }, 'Next →'),
  );
}
