// The map view (?view=map&tag=…, ?view=map&layer=tracks): the t-SNE layouts of the tags and of
// the tracks on one ScatterPlot. On the tag layer every tag is drawn and labelled where there is
// room; a click, or Enter on the filterable list of tag buttons beside the map (the keyboard
// path), selects a tag and lists its top tracks. On the track layer the points are coloured by
// each track's strongest tag and a click opens the track.

import { getJson, segment } from './api.js';
import { h, replaceChildren, errorBox, loading } from './dom.js';
import { resultItem } from './search.js';
import { ScatterPlot } from './scatter.js';

const TRACKS_PER_TAG = 10;
/** Track-layer colours: the most common strongest tags get one each, the rest share the last. */
const TRACK_COLOURS = ['--map-c0', '--map-c1', '--map-c2', '--map-c3', '--map-c4', '--map-c5', '--map-c6'];
const OTHER_COLOUR = '--map-other';
const FAMILIES = [
  ['mtt', 'MagnaTagATune'],
  ['msd', 'Million Song Dataset'],
  ['both', 'both'],
];

const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById('tag-map'));
const status = document.getElementById('map-status');
const legend = document.getElementById('map-legend');
const list = document.getElementById('tag-list');
const filter = /** @type {HTMLInputElement} */ (document.getElementById('tag-filter'));
const tagSide = document.getElementById('tag-side');
const trackSide = document.getElementById('track-side');
const tracksPanel = document.getElementById('tag-tracks');

let navigateTo = () => {};
const plot = new ScatterPlot(canvas, document.getElementById('map-tooltip'), {
  onSelect: (p) => (p.tag !== undefined ? navigateTo({ view: 'map', tag: p.tag }) : navigateTo({ track: p.id })),
});
/** The layouts, each fetched once: layer → Promise of {points, about, legend} or null on failure. */
const layers = {};
let shown = null;
let tracksRequest = null;

/**
 * Show the map.
 * @param {{layer: string, tag: string|null}} state
 * @param {(params: Record<string,string>) => void} navigate
 */
export async function renderMap(state, navigate) {
  navigateTo = navigate;
  const layer = state.layer === 'tracks' ? 'tracks' : 'tags';
  document.title = state.tag ? `${state.tag} – tag map – musearch` : layer === 'tracks' ? 'Track map – musearch' : 'Tag map – musearch';
  for (const link of document.querySelectorAll('[data-layer]')) {
    if (link.dataset.layer === layer) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
  tagSide.hidden = layer !== 'tags';
  trackSide.hidden = layer !== 'tracks';
  canvas.setAttribute('aria-label', layer === 'tags' ? TAG_LABEL : TRACK_LABEL);
  if (!layers[layer]) {
    replaceChildren(status, loading(`Loading the ${layer === 'tags' ? 'tag' : 'track'} map…`));
    replaceChildren(legend);
    layers[layer] = (layer === 'tags' ? loadTags() : loadTracks()).catch((err) => {
      delete layers[layer]; // try again on the next visit
      replaceChildren(status, errorBox(err, `The ${layer === 'tags' ? 'tag' : 'track'} map could not be loaded`));
      return null;
    });
  }
  const data = await layers[layer];
  if (!data) return;
  if (shown !== layer) {
    shown = layer;
    plot.setPoints(data.points, data.options);
    replaceChildren(status, h('span', { text: data.about }));
    replaceChildren(legend, data.legend.map(([colour, label]) => h('li', {}, h('span', { class: 'dot', style: { background: `var(${colour})` }, 'aria-hidden': 'true' }), label)));
  }
  if (layer === 'tags') selectTag(state.tag ? data.points.find((p) => p.tag === state.tag) ?? null : null, state.tag);
}

const TAG_LABEL =
  'Map of all tags: similar tags lie close together. Arrow keys pan, plus and minus zoom, 0 resets. The list of tags beside the map selects them.';
const TRACK_LABEL = 'Map of the tracks: tracks that sound alike lie close together. Arrow keys pan, plus and minus zoom, 0 resets.';

async function loadTags() {
  const layout = await getJson('/map/tags');
  const points = layout.points.map((p) => {
    const family = familyOf(p.models ?? []);
    return { ...p, label: p.tag, colour: `--map-${family}`, family, tooltip: `${p.tag} · ${(p.models ?? []).join(', ')}` };
  });
  buildList(points);
  const about = [`${points.length} tags`];
  if (Number.isFinite(layout.perplexity)) about.push(`perplexity ${layout.perplexity}`);
  if (layout.seed !== undefined && layout.seed !== null) about.push(`seed ${layout.seed}`);
  return {
    points,
    options: { allLabels: true, radius: 4 },
    about: `t-SNE of the tag vectors · ${about.join(' · ')}`,
    legend: FAMILIES.filter(([family]) => points.some((p) => p.family === family)).map(([family, label]) => [`--map-${family}`, label]),
  };
}

async function loadTracks() {
  const layout = await getJson('/map/tracks');
  const counts = new Map();
  for (const p of layout.points) if (p.top_tag) counts.set(p.top_tag, (counts.get(p.top_tag) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TRACK_COLOURS.length).map(([tag]) => tag);
  const colourOf = (tag) => (common.includes(tag) ? TRACK_COLOURS[common.indexOf(tag)] : OTHER_COLOUR);
  const points = layout.points.map((p) => ({
    ...p,
    label: p.title,
    colour: colourOf(p.top_tag),
    tooltip: [p.title, p.artist, p.top_tag ? `mostly ${p.top_tag}` : null].filter(Boolean).join(' · '),
  }));
  const legendEntries = common.map((tag, i) => [TRACK_COLOURS[i], tag]);
  if (points.some((p) => p.colour === OTHER_COLOUR)) legendEntries.push([OTHER_COLOUR, 'other']);
  return {
    points,
    options: { allLabels: false, radius: 3.5 },
    about: `t-SNE of the audio embeddings · ${points.length} of ${layout.total} tracks${layout.sampled ? ' (a sample)' : ''} · coloured by each track's strongest tag`,
    legend: legendEntries,
  };
}

/** "mtt", "msd" or "both", from the models that know a tag. */
function familyOf(models) {
  const mtt = models.some((m) => m.startsWith('MTT'));
  const msd = models.some((m) => m.startsWith('MSD'));
  return mtt && msd ? 'both' : msd ? 'msd' : 'mtt';
}

function buildList(points) {
  const sorted = [...points].sort((a, b) => a.tag.localeCompare(b.tag));
  replaceChildren(
    list,
    sorted.map((p) =>
      h(
        'li',
        { dataset: { tag: p.tag } },
        h(
          'button',
          { type: 'button', class: `tag-button family-${p.family}`, 'aria-pressed': 'false', onclick: () => navigateTo({ view: 'map', tag: p.tag }) },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          p.tag,
        ),
      ),
    ),
  );
}

filter.addEventListener('input', () => {
  const needle = filter.value.trim().toLowerCase();
  for (const item of list.children) item.hidden = needle !== '' && !item.dataset.tag.toLowerCase().includes(needle);
});

document.getElementById('map-zoom-in').addEventListener('click', () => plot.zoomBy(1.4));
document.getElementById('map-zoom-out').addEventListener('click', () => plot.zoomBy(1 / 1.4));
document.getElementById('map-reset').addEventListener('click', () => plot.reset());

/** Select `point` on the tag layer and list its top tracks. */
async function selectTag(point, requestedTag) {
  plot.select(point);
  for (const button of list.querySelectorAll('button')) {
    const on = point !== null && button.parentElement.dataset.tag === point.tag;
    button.setAttribute('aria-pressed', String(on));
    if (on) button.scrollIntoView({ block: 'nearest' });
  }
  if (tracksRequest) tracksRequest.abort();
  if (!point) {
    replaceChildren(
      tracksPanel,
      requestedTag
        ? errorBox({ code: 'unknown_tag', message: `There is no tag “${requestedTag}” on the map.` }, 'Unknown tag')
        : h('p', { class: 'muted', text: 'Choose a tag on the map or in the list to see the tracks where it sounds strongest.' }),
    );
    return;
  }
  const controller = new AbortController();
  tracksRequest = controller;
  const heading = h('h2', { id: 'tag-tracks-title' }, 'Top tracks for ', h('span', { class: 'accent', text: point.tag }));
  replaceChildren(tracksPanel, heading, loading('Loading tracks…'));
  try {
    const response = await getJson(`/tags/${segment(point.tag)}/tracks`, { limit: TRACKS_PER_TAG }, controller.signal);
    const best = Math.max(...response.results.map((r) => Math.abs(r.score ?? 0)), 1e-9);
    replaceChildren(
      tracksPanel,
      heading,
      h(
        'p',
        { class: 'muted' },
        `${response.total} track${response.total === 1 ? '' : 's'} · `,
        h('a', { href: `/?q=${encodeURIComponent(point.tag)}`, 'data-nav': true, text: `search “${point.tag}”` }),
      ),
      response.results.length
        ? h('ol', { class: 'results results-compact', id: 'tag-track-list' }, response.results.map((hit) => resultItem(hit, best)))
        : h('p', { class: 'muted', text: 'No tracks carry this tag.' }),
    );
  } catch (err) {
    if (err.name === 'AbortError') return;
    replaceChildren(tracksPanel, heading, errorBox(err, 'The tracks for this tag could not be loaded'));
  }
}
