// The page in a real browser against a real server: search, playback with HTTP Range, the track
// view with its taggram, the tag map, keyboard use, and how API errors look. Every expectation is
// checked against what the API itself answers, so the tests hold for any index.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, launchBrowser, screenshot, startServer, watchConsole } from './harness.mjs';

/** A query every catalog answers: a tag every model knows about, by its own name. */
const QUERY = 'guitar';
const PAGE_SIZE = 10;

/** Where the page draws `point` on a canvas of `width` × `height` before any zoom or pan. */
function fitted(points, point, width, height, padding = 36 /* scatter.js PADDING */) {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((width - 2 * padding) / (maxX - minX), (height - 2 * padding) / (maxY - minY));
  return { x: (point.x - (minX + maxX) / 2) * scale + width / 2, y: ((minY + maxY) / 2 - point.y) * scale + height / 2 };
}

/** The entry of `screen` ({p, q: screen position}) farthest from its nearest neighbour. */
function loneliest(screen) {
  return screen
    .map((a) => ({ ...a, gap: Math.min(Infinity, ...screen.filter((b) => b !== a).map((b) => Math.hypot(a.q.x - b.q.x, a.q.y - b.q.y))) }))
    .sort((a, b) => b.gap - a.gap)[0];
}

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh page (own cookies and cache) at `path`, failing the test on script errors. */
async function open(path, { allowConsole = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  const page = await context.newPage();
  const problems = watchConsole(page, allowConsole);
  await page.goto(server.url + path);
  return { page, problems, close: () => context.close() };
}

describe('search', () => {
  test('a deep link ?q= shows the results, the interpreted query and why each result matched', async () => {
    const expected = (await api(server.url, `/search?q=${encodeURIComponent(QUERY)}&limit=${PAGE_SIZE}`)).body;
    assert.ok(expected.total > 0, 'the fixture index answers the query');
    const { page, problems, close } = await open(`/?q=${encodeURIComponent(QUERY)}`);
    await page.locator('#results .result').first().waitFor();

    assert.equal(await page.inputValue('#q'), QUERY);
    assert.equal(await page.locator('#results .result').count(), expected.results.length);
    assert.equal(await page.locator('#result-meta').getAttribute('data-total'), String(expected.total));
    const ids = await page.locator('#results .result').evaluateAll((items) => items.map((li) => li.dataset.trackId));
    assert.deepEqual(ids, expected.results.map((r) => r.id), 'same tracks in the same order as the API');

    const first = page.locator('#results .result').first();
    assert.equal(await first.locator('.result-title').textContent(), expected.results[0].title);
    // One chip per tag name, each naming every model whose evidence it shows.
    const whyChips = await first.locator('.chip-why').evaluateAll((chips) => chips.map((c) => ({ tag: c.dataset.tag, models: c.dataset.models })));
    assert.deepEqual(
      whyChips,
      expected.results[0].explanation.by_tag.map((t) => ({ tag: t.tag, models: t.models.map((m) => m.model).join(',') })),
    );
    const names = whyChips.map((c) => c.tag);
    assert.equal(new Set(names).size, names.length, 'no tag has two chips');
    // The marks of results moved down, and the note, as the API says.
    const marked = await page.locator('#results .result').evaluateAll((items) => items.map((li) => [...li.querySelectorAll('.mark')].map((m) => m.dataset.code)));
    assert.deepEqual(marked, expected.results.map((r) => r.demoted));
    assert.equal(await page.locator('#search-note').count(), expected.note ? 1 : 0);

    const interpreted = await page.locator('.interpreted .chip-tag').evaluateAll((chips) => chips.map((c) => c.dataset.tag));
    assert.deepEqual(interpreted, expected.interpreted.tags.map((t) => t.tag));
    assert.ok(interpreted.length > 0);

    await screenshot(page, 'search');
    assert.deepEqual(problems, []);
    await close();
  });

  test('negated tags look different from the tags that pull results up', async () => {
    const query = `${QUERY} without drums`;
    const expected = (await api(server.url, `/search?q=${encodeURIComponent(query)}&limit=${PAGE_SIZE}`)).body;
    const negative = expected.interpreted.tags.filter((t) => t.weight < 0).map((t) => t.tag);
    assert.ok(negative.length > 0, `"${query}" gives a tag a negative weight`);
    const { page, problems, close } = await open(`/?q=${encodeURIComponent(query)}`);
    await page.locator('.interpreted .chip').first().waitFor();
    const shown = await page.locator('.interpreted .chip-tag.chip-negated').evaluateAll((chips) => chips.map((c) => c.dataset.tag));
    assert.deepEqual(shown, negative);
    const styles = await page.evaluate(() => {
      const look = (el) => {
        const s = getComputedStyle(el);
        return { color: s.color, border: s.borderStyle, background: s.backgroundColor };
      };
      return {
        negated: look(document.querySelector('.interpreted .chip-tag.chip-negated')),
        positive: look(document.querySelector('.interpreted .chip-tag:not(.chip-negated)')),
      };
    });
    assert.notDeepEqual(styles.negated, styles.positive);
    assert.equal(styles.negated.border, 'dashed');
    assert.deepEqual(problems, []);
    await close();
  });

  test('pagination moves through the results and keeps the page in the URL', async (t) => {
    const expected = (await api(server.url, `/search?q=${encodeURIComponent(QUERY)}&limit=${PAGE_SIZE}&offset=${PAGE_SIZE}`)).body;
    if (expected.total <= PAGE_SIZE) {
      t.skip(`the index has only ${expected.total} results for "${QUERY}": one page`);
      return;
    }
    const { page, problems, close } = await open(`/?q=${encodeURIComponent(QUERY)}`);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForURL(/page=2/);
    await page.locator('#results').getByText(expected.results[0].title, { exact: true }).first().waitFor();
    const ids = await page.locator('#results .result').evaluateAll((items) => items.map((li) => li.dataset.trackId));
    assert.deepEqual(ids, expected.results.map((r) => r.id));
    assert.match(await page.locator('#result-meta').textContent(), new RegExp(`^${PAGE_SIZE + 1}–`));
    await page.goBack();
    await page.waitForURL((url) => !url.search.includes('page='));
    await page.locator('#results').getByText(expected.results[0].title, { exact: true }).first().waitFor({ state: 'detached' }).catch(() => {});
    await page.waitForFunction(() => document.querySelector('.page-of')?.textContent.startsWith('Page 1 '));
    assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('keyboard', () => {
  test('Tab reaches the search box, Enter searches, focus rings are visible', async () => {
    const { page, problems, close } = await open('/');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    await page.keyboard.type(QUERY);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`\\?q=${QUERY}$`));
    await page.locator('#results .result').first().waitFor();

    // The next stops are the search button and the views; then the results' play buttons and titles.
    for (let i = 0; i < 10; i += 1) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement.matches('#results button.play'))) break;
    }
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { play: el.matches('#results button.play'), outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    assert.ok(focused.play, 'a play button is reachable by Tab');
    assert.equal(focused.outline, 'solid');
    assert.ok(focused.width >= 2);

    // "/" jumps back to the search box from anywhere.
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('playback', () => {
  test('a play button plays the track; the audio is served with 206 Partial Content', async () => {
    const expected = (await api(server.url, `/search?q=${encodeURIComponent(QUERY)}&limit=${PAGE_SIZE}`)).body;
    const { page, problems, close } = await open(`/?q=${encodeURIComponent(QUERY)}`);
    const button = page.locator('#results .result button.play').first();
    await button.waitFor();
    const audioResponse = page.waitForResponse((r) => r.url().endsWith(expected.results[0].audio_url));
    await button.click();
    const response = await audioResponse;
    const headers = await response.request().allHeaders();
    assert.match(headers.range ?? '', /^bytes=\d+-/, 'the browser asks for a byte range');
    assert.equal(response.status(), 206);
    assert.match((await response.allHeaders())['content-range'] ?? '', /^bytes \d+-\d+\/\d+$/);

    await page.waitForFunction(() => {
      const audio = document.getElementById('player');
      return !audio.paused && audio.currentTime > 0;
    });
    await page.waitForFunction(
      () => document.querySelector('#results .result button.play')?.getAttribute('aria-pressed') === 'true',
    );
    assert.equal(await button.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('#now-title').textContent(), expected.results[0].title);

    // A Range request from the page itself: exactly the bytes asked for.
    const ranged = await page.evaluate(async (url) => {
      const r = await fetch(url, { headers: { Range: 'bytes=0-99' } });
      return { status: r.status, range: r.headers.get('content-range'), length: (await r.arrayBuffer()).byteLength };
    }, expected.results[0].audio_url);
    assert.equal(ranged.status, 206);
    assert.match(ranged.range, /^bytes 0-99\/\d+$/);
    assert.equal(ranged.length, 100);

    await button.click();
    await page.waitForFunction(() => document.getElementById('player').paused);
    // The button follows the audio element's 'pause' event, which fires after `paused` is set:
    // wait for it (the wait fails the test if the button never turns off).
    await page.waitForFunction(
      () => document.querySelector('#results .result button.play')?.getAttribute('aria-pressed') === 'false',
    );
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('track view', () => {
  test('a result opens the track: metadata, taggram, tag bars, similar tracks', async () => {
    const hit = (await api(server.url, `/search?q=${encodeURIComponent(QUERY)}&limit=1`)).body.results[0];
    const detail = (await api(server.url, `/tracks/${hit.id}`)).body;
    const similar = (await api(server.url, `/tracks/${hit.id}/similar?limit=8`)).body;
    const { page, problems, close } = await open(`/?q=${encodeURIComponent(QUERY)}`);
    const taggramResponse = page.waitForResponse((r) => r.url().endsWith(detail.taggram_url));
    await page.locator('#results .result-title').first().click();
    await page.waitForURL(new RegExp(`\\?track=${hit.id}$`));

    const picture = await taggramResponse;
    assert.equal(picture.status(), 200);
    assert.equal((await picture.allHeaders())['content-type'], 'image/png');
    await page.waitForFunction(() => {
      const img = document.getElementById('taggram');
      return img && img.complete && img.naturalWidth > 0;
    });

    assert.equal(await page.locator('.track-title').textContent(), detail.title);
    const models = await page.locator('.model-name').allTextContents();
    assert.deepEqual(models, detail.models.map((m) => m.model));
    const firstBars = await page.locator('.model-bars').first().locator('.bar').evaluateAll((bars) => bars.map((b) => b.dataset.tag));
    assert.deepEqual(firstBars, detail.models[0].tags.slice(0, 15).map((t) => t.tag), 'the top tags, most probable first');

    await page.locator('.similar .result, .similar p.muted').first().waitFor();
    const similarIds = await page.locator('.similar .result').evaluateAll((items) => items.map((li) => li.dataset.trackId));
    assert.deepEqual(similarIds, similar.results.map((r) => r.id));

    // "Show all" lists every tag of the model; the same button ("Show top 15") folds them again.
    if (detail.models[0].tags.length > 15) {
      const bars = page.locator('.model-bars').first().locator('.bar');
      await page.locator('.model-bars').first().getByRole('button', { name: /Show all/ }).click();
      assert.equal(await bars.count(), detail.models[0].tags.length);
      await page.locator('.model-bars').first().getByRole('button', { name: /Show top/ }).click();
      assert.equal(await bars.count(), 15);
    }

    await screenshot(page, 'track');
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('tag map', () => {
  test('every tag is drawn; hover names it; a click lists its top tracks; the wheel zooms', async () => {
    const tags = (await api(server.url, '/tags')).body.tags;
    const layout = (await api(server.url, '/map/tags')).body;
    assert.equal(layout.points.length, tags.length, 'the layout has every tag');
    const { page, problems, close } = await open('/?view=map');
    const canvas = page.locator('#tag-map');
    await page.waitForFunction(() => document.getElementById('tag-map').dataset.drawn !== undefined);
    assert.equal(await canvas.getAttribute('data-drawn'), String(tags.length));
    assert.equal(await canvas.getAttribute('data-total'), String(tags.length));
    assert.equal(await page.locator('#tag-list li').count(), tags.length, 'every tag is in the keyboard list too');

    // The tag farthest from its neighbours, so that the pointer lands on it alone.
    const box = await canvas.boundingBox();
    const screen = layout.points.map((p) => ({ p, q: fitted(layout.points, p, box.width, box.height) }));
    const lonely = loneliest(screen);
    await page.mouse.move(box.x + lonely.q.x, box.y + lonely.q.y);
    const tooltip = page.locator('#map-tooltip');
    await tooltip.waitFor();
    assert.ok((await tooltip.textContent()).startsWith(lonely.p.tag), `hovering names "${lonely.p.tag}"`);

    const expected = (await api(server.url, `/tags/${encodeURIComponent(lonely.p.tag)}/tracks?limit=10`)).body;
    await page.mouse.click(box.x + lonely.q.x, box.y + lonely.q.y);
    await page.waitForURL((url) => url.searchParams.get('tag') === lonely.p.tag);
    await page.locator('#tag-tracks h2').getByText(lonely.p.tag).waitFor();
    await page.locator('#tag-track-list .result, #tag-tracks p.muted >> nth=1').first().waitFor();
    const ids = await page.locator('#tag-track-list .result').evaluateAll((items) => items.map((li) => li.dataset.trackId));
    assert.deepEqual(ids, expected.results.map((r) => r.id));
    assert.equal(await page.locator(`#tag-list li[data-tag="${lonely.p.tag}"] button`).getAttribute('aria-pressed'), 'true');

    await screenshot(page, 'map');

    // Zoom in around the centre: fewer points fit, the zoom grows.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 5; i += 1) await page.mouse.wheel(0, -400);
    await page.waitForFunction(() => Number(document.getElementById('tag-map').dataset.zoom) > 2);
    // Drag pans: the point under the pointer moves with it.
    const zoom = await canvas.getAttribute('data-zoom');
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 40, { steps: 5 });
    await page.mouse.up();
    assert.equal(await canvas.getAttribute('data-zoom'), zoom, 'a drag does not zoom');
    await page.getByRole('button', { name: 'Show the whole map' }).click();
    assert.equal(await canvas.getAttribute('data-zoom'), '1.000');
    assert.equal(await canvas.getAttribute('data-drawn'), String(tags.length));
    assert.deepEqual(problems, []);
    await close();
  });

  test('the tags are reachable by keyboard: filter the list, Enter selects', async () => {
    const tags = (await api(server.url, '/tags')).body.tags;
    const tag = tags[tags.length - 1].name;
    const expected = (await api(server.url, `/tags/${encodeURIComponent(tag)}/tracks?limit=10`)).body;
    const { page, problems, close } = await open('/?view=map');
    await page.locator('#tag-list li').first().waitFor();
    await page.locator('#tag-filter').focus();
    await page.keyboard.type(tag);
    const visible = await page.locator('#tag-list li:not([hidden])').evaluateAll((items) => items.map((li) => li.dataset.tag));
    assert.ok(visible.includes(tag));
    assert.ok(visible.every((name) => name.includes(tag)));
    let steps = 0;
    do {
      await page.keyboard.press('Tab');
      steps += 1;
    } while (steps < visible.length + 2 && !(await page.evaluate((name) => document.activeElement.closest('li')?.dataset.tag === name, tag)));
    assert.equal(await page.evaluate(() => document.activeElement.closest('li')?.dataset.tag), tag, 'Tab reaches the tag button');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('tag') === tag);
    await page.locator('#tag-track-list .result').first().waitFor();
    const ids = await page.locator('#tag-track-list .result').evaluateAll((items) => items.map((li) => li.dataset.trackId));
    assert.deepEqual(ids, expected.results.map((r) => r.id));
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('track map', () => {
  test('every mapped track is drawn and a click opens it', async () => {
    const layout = (await api(server.url, '/map/tracks')).body;
    assert.ok(layout.points.length > 0);
    const { page, problems, close } = await open('/?view=map&layer=tracks');
    const canvas = page.locator('#tag-map');
    await page.waitForFunction((n) => document.getElementById('tag-map').dataset.total === String(n), layout.points.length);
    assert.equal(await canvas.getAttribute('data-drawn'), String(layout.points.length));
    assert.equal(await page.locator('#tag-side').isHidden(), true, 'the tag list belongs to the tag layer');
    const box = await canvas.boundingBox();
    const { p: target, q } = loneliest(layout.points.map((p) => ({ p, q: fitted(layout.points, p, box.width, box.height) })));
    await page.mouse.move(box.x + q.x, box.y + q.y);
    await page.locator('#map-tooltip').waitFor();
    assert.ok((await page.locator('#map-tooltip').textContent()).startsWith(target.title), `hovering names "${target.title}"`);
    await page.mouse.click(box.x + q.x, box.y + q.y);
    await page.waitForURL((url) => url.searchParams.get('track') === target.id);
    await page.locator('.track-title').waitFor();
    assert.equal(await page.locator('.track-title').textContent(), target.title);
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('errors', () => {
  test("an API error is shown with the server's message and code", async () => {
    const missing = '0'.repeat(32);
    const expected = await api(server.url, `/tracks/${missing}`);
    assert.equal(expected.status, 404);
    const { page, problems, close } = await open(`/?track=${missing}`, { allowConsole: [/404/] });
    const box = page.locator('#view-track .error-box');
    await box.waitFor();
    assert.equal(await box.getAttribute('role'), 'alert');
    assert.equal(await box.locator('.error-message').textContent(), expected.body.error.message);
    assert.equal(await box.getAttribute('data-code'), expected.body.error.code);
    assert.deepEqual(problems, []);
    await close();
  });

  test('an unknown tag on the map is reported, not ignored', async () => {
    const { page, problems, close } = await open('/?view=map&tag=surely-not-a-tag');
    await page.locator('#tag-tracks .error-box').waitFor();
    assert.match(await page.locator('#tag-tracks .error-message').textContent(), /surely-not-a-tag/);
    assert.deepEqual(problems, []);
    await close();
  });
});
