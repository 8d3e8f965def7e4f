// The track view (?track=ID): metadata, a play button, the taggram heat map, the strongest tag
// probabilities of every model as bars, and the tracks that sound most alike.

import { getJson, segment } from './api.js';
import { h, replaceChildren, formatDuration, fixed, percent, trackTitle, errorBox, loading } from './dom.js';
import { playButton } from './player.js';
import { resultItem } from './search.js';

/** Bars shown per model before "Show all". */
const TOP_TAGS = 15;
/** Similar tracks listed. */
const SIMILAR = 8;

const view = document.getElementById('view-track');
let inFlight = null;

/** Show the track `id`. */
export async function renderTrack(id) {
  if (inFlight) inFlight.abort();
  const controller = new AbortController();
  inFlight = controller;
  view.setAttribute('aria-busy', 'true');
  replaceChildren(view, loading('Loading the track…'));
  try {
    const track = await getJson(`/tracks/${segment(id)}`, {}, controller.signal);
    document.title = `${trackTitle(track)} – musearch`;
    const similarSlot = h('section', { class: 'card similar', 'aria-labelledby': 'similar-title' }, h('h2', { id: 'similar-title', text: 'Sounds similar' }), loading('Finding similar tracks…'));
    replaceChildren(view, header(track), taggram(track), h('div', { class: 'track-columns' }, tagBars(track), similarSlot));
    view.querySelector('h1')?.focus({ preventScroll: true });
    loadSimilar(id, similarSlot, controller.signal);
  } catch (err) {
    if (err.name === 'AbortError') return;
    document.title = 'Track not available – musearch';
    replaceChildren(view, errorBox(err, 'This track could not be shown'), h('p', {}, h('a', { href: '/', 'data-nav': true, text: '← Back to search' })));
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      view.removeAttribute('aria-busy');
    }
  }
}

function header(track) {
  const facts = [
    ['Artist', track.artist],
    ['Album', track.album],
    ['Genre', track.genre],
    ['Year', track.year],
    ['Duration', formatDuration(track.duration_secs)],
    ['Format', [track.format, track.codec !== track.format ? track.codec : null, track.sample_rate ? `${fixed(track.sample_rate / 1000, 1)} kHz` : null, channelsLabel(track.channels)].filter(Boolean).join(' · ')],
    ['Track', track.track_number],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');
  return h(
    'header',
    { class: 'track-header' },
    playButton(track, trackTitle(track)),
    h(
      'div',
      {},
      h('p', { class: 'eyebrow', text: 'Track' }),
      h('h1', { class: 'track-title', tabindex: '-1', text: trackTitle(track) }),
      h('dl', { class: 'facts' }, facts.map(([label, value]) => h('div', {}, h('dt', { text: label }), h('dd', { text: String(value) })))),
      (track.paths ?? []).map((path) => h('p', { class: 'path muted', text: path })),
    ),
  );
}

function channelsLabel(channels) {
  if (!channels) return null;
  return channels === 1 ? 'mono' : channels === 2 ? 'stereo' : `${channels} channels`;
}

function taggram(track) {
  if (!track.taggram_url) return null;
  const frame = h('div', { class: 'taggram-frame' });
  const img = h('img', {
    class: 'taggram',
    id: 'taggram',
    src: track.taggram_url,
    alt: `Taggram of ${trackTitle(track)}: how strongly each tag sounds over time`,
    decoding: 'async',
  });
  img.addEventListener('error', () => replaceChildren(frame, h('p', { class: 'muted', role: 'status', text: 'The taggram picture could not be loaded.' })));
  frame.append(img);
  const seconds = track.taggram?.seconds_per_column;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'taggram-title' },
    h('h2', { id: 'taggram-title', text: 'Taggram' }),
    h('p', { class: 'muted', text: `Each row is a tag, each column ${Number.isFinite(seconds) ? `${fixed(seconds, 0)} s` : 'a few seconds'} of audio; brighter means more likely.` }),
    frame,
  );
}

/**
 * The track's tag probabilities as [{model, tags: [{tag, probability}]}], highest first, from
 * whichever of the shapes the API may use: a list of {model, tags}, or a map model → {tag: p} / [{tag, probability}].
 */
export function modelTags(track) {
  const source = track.models ?? track.tags ?? track.probabilities ?? [];
  const toList = (tags) =>
    (Array.isArray(tags)
      ? tags.map((t) => ({ tag: t.tag ?? t.name, probability: t.probability ?? t.p }))
      : Object.entries(tags).map(([tag, probability]) => ({ tag, probability }))
    ).sort((a, b) => b.probability - a.probability);
  if (Array.isArray(source)) {
    return source.map((entry) => ({ model: entry.model ?? entry.name, tags: toList(entry.tags ?? entry.probabilities ?? []) }));
  }
  return Object.entries(source).map(([model, tags]) => ({ model, tags: toList(tags) }));
}

function tagBars(track) {
  const models = modelTags(track);
  return h(
    'section',
    { class: 'card tag-bars', 'aria-labelledby': 'tags-title' },
    h('h2', { id: 'tags-title', text: 'Tag probabilities' }),
    models.length ? models.map(modelBars) : h('p', { class: 'muted', text: 'No tag probabilities stored for this track.' }),
  );
}

function modelBars({ model, tags }) {
  const list = h('ol', { class: 'bars', 'aria-label': `${model} tags, most likely first` });
  const fill = (count) =>
    replaceChildren(
      list,
      tags.slice(0, count).map(({ tag, probability }) =>
        h(
          'li',
          { class: 'bar', dataset: { tag } },
          h('a', { class: 'bar-label', href: `/?view=map&tag=${encodeURIComponent(tag)}`, 'data-nav': true, text: tag, title: `Show “${tag}” on the tag map` }),
          h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar-fill', style: { width: percent(probability) } })),
          h('span', { class: 'bar-value', text: fixed(probability, 2) }),
        ),
      ),
    );
  fill(TOP_TAGS);
  const more =
    tags.length > TOP_TAGS
      ? h('button', {
          type: 'button',
          class: 'link-button',
          'aria-expanded': 'false',
          text: `Show all ${tags.length}`,
          onclick: (event) => {
            const expanded = event.currentTarget.getAttribute('aria-expanded') === 'true';
            fill(expanded ? TOP_TAGS : tags.length);
            event.currentTarget.setAttribute('aria-expanded', String(!expanded));
            event.currentTarget.textContent = expanded ? `Show all ${tags.length}` : `Show top ${TOP_TAGS}`;
          },
        })
      : null;
  return h('div', { class: 'model-bars' }, h('h3', { class: 'model-name', text: model }), list, more);
}

async function loadSimilar(id, slot, signal) {
  const heading = slot.querySelector('h2');
  try {
    const response = await getJson(`/tracks/${segment(id)}/similar`, { limit: SIMILAR }, signal);
    const hits = response.results ?? response.hits ?? [];
    replaceChildren(
      slot,
      heading,
      hits.length ? h('ol', { class: 'results results-compact' }, hits.map((hit) => resultItem(hit, 1))) : h('p', { class: 'muted', text: 'No other tracks in the catalog.' }),
    );
  } catch (err) {
    if (err.name === 'AbortError') return;
    replaceChildren(slot, heading, errorBox(err, 'Similar tracks could not be found'));
  }
}
