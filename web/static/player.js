// One audio player for the whole page: a bar at the bottom with the browser's own <audio controls>
// (the server streams the file with HTTP Range, so seeking works) and play buttons anywhere on the
// page that start a track or pause it.

import { h, trackTitle, trackByline } from './dom.js';

const audio = /** @type {HTMLAudioElement} */ (document.getElementById('player'));
const bar = document.getElementById('player-bar');
const nowTitle = document.getElementById('now-title');
const nowByline = document.getElementById('now-byline');
let currentId = null;

/** Play `track` (a search hit or a track detail with audio_url), or pause/resume it if it is the current one. */
export function toggle(track) {
  if (currentId === track.id) {
    if (audio.paused) audio.play().catch(reportPlayError);
    else audio.pause();
    return;
  }
  currentId = track.id;
  audio.src = track.audio_url;
  nowTitle.textContent = trackTitle(track);
  nowByline.textContent = trackByline(track);
  bar.hidden = false;
  bar.dataset.trackId = track.id;
  audio.play().catch(reportPlayError);
  syncButtons();
}

function reportPlayError(err) {
  if (err.name === 'AbortError') return; // a newer track replaced this one
  nowByline.textContent = `Cannot play this file here: ${err.message}`;
  syncButtons();
}

/** A play/pause button for `track`, kept in step with the player. */
export function playButton(track, label = trackTitle(track)) {
  const button = h('button', {
    type: 'button',
    class: 'play',
    'aria-label': `Play ${label}`,
    'aria-pressed': 'false',
    dataset: { trackId: track.id },
    onclick: () => toggle(track),
  });
  button.append(h('span', { class: 'play-icon', 'aria-hidden': 'true' }));
  update(button);
  return button;
}

function update(button) {
  const playing = button.dataset.trackId === currentId && !audio.paused;
  button.setAttribute('aria-pressed', String(playing));
  button.classList.toggle('playing', playing);
  const label = button.getAttribute('aria-label').replace(/^(Play|Pause) /, '');
  button.setAttribute('aria-label', `${playing ? 'Pause' : 'Play'} ${label}`);
}

function syncButtons() {
  document.querySelectorAll('button.play').forEach(update);
}

audio.addEventListener('play', syncButtons);
audio.addEventListener('pause', syncButtons);
audio.addEventListener('ended', syncButtons);
audio.addEventListener('error', () => {
  if (!audio.getAttribute('src')) return;
  nowByline.textContent = 'This file could not be played by the browser.';
  syncButtons();
});
document.getElementById('player-close').addEventListener('click', () => {
  audio.pause();
  audio.removeAttribute('src');
  audio.load();
  currentId = null;
  bar.hidden = true;
  syncButtons();
});
