/**
 * The try-a-model page at / in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): upload the
 * shipped example image; the label shown is the API's top-1 and the marker sits on the API's point. With
 * LUAB_SCREENSHOT=FILE it also saves a screenshot (docs/images/try-page.png was made so).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { discImage } from './helpers/images.js';
import { GOOD_MODELS, REPO_ROOT } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLE = join(REPO_ROOT, 'examples', 'images', 'police-car.jpg');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Marker centres on the page, in pixels of the original image (the displayed image may be scaled). */
async function markerPositions(page: Page, imageWidth: number, imageHeight: number): Promise<number[][]> {
  const image = (await page.locator('#image').boundingBox())!;
  const markers = page.locator('.marker circle.inner');
  const positions: number[][] = [];
  for (let i = 0; i < (await markers.count()); i++) {
    const box = (await markers.nth(i).boundingBox())!;
    positions.push([
      ((box.x + box.width / 2 - image.x) * imageWidth) / image.width,
      ((box.y + box.height / 2 - image.y) * imageHeight) / image.height,
    ]);
  }
  return positions;
}

describe('the try-a-model page in Chromium', function () {
  let browser: Browser;
  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run ./scripts/setup.sh (Debian chromium)`);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  after(async () => browser?.close());

  async function open(t: TestServer, model: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    await page.goto(`http://127.0.0.1:${t.server.httpPort}/`);
    await page.locator(`#model option[value="${model}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#model', model);
    return page;
  }

  it('shows the top-1 class of the API and the point where the API puts it', async () => {
    const t = await startTestServer({ modelsDir: join(REPO_ROOT, 'models'), httpPort: -1 });
    try {
      const base = `http://127.0.0.1:${t.server.httpPort}`;
      const api = (await (
        await fetch(`${base}/v1/predict?model=luab-in9-cnn`, { method: 'POST', body: readFileSync(EXAMPLE) })
      ).json()) as Json;
      const page = await open(t, 'luab-in9-cnn');
      await page.setInputFiles('#file', EXAMPLE);
      await page.locator('body[data-state="done"]').waitFor();
      assert.equal(await page.locator('#classes li').first().getAttribute('data-label'), api.classes[0].label);
      assert.equal(await page.locator('.marker').first().getAttribute('data-label'), api.classes[0].label);
      const [[x, y]] = await markerPositions(page, api.image.width, api.image.height);
      assert.ok(
        Math.abs(x - api.point.xPx) <= 3 && Math.abs(y - api.point.yPx) <= 3,
        `marker at (${x}, ${y}), API point (${api.point.xPx}, ${api.point.yPx})`,
      );
      assert.match(await page.locator('#timings').innerText(), /total\s+[\d.]+ ms/);
      if (process.env.LUAB_SCREENSHOT) await page.screenshot({ path: process.env.LUAB_SCREENSHOT });
    } finally {
      await t.close();
    }
  });

  it('draws one marker per class for a multi-label model, and shows errors', async () => {
    const t = await startTestServer({ modelsDir: GOOD_MODELS, httpPort: -1 });
    try {
      const page = await open(t, 'centroid-multi');
      const image = await discImage(200, 150, [{ cx: 50, cy: 100, r: 20 }], 'png');
      await page.setInputFiles('#file', { name: 'disc.png', mimeType: 'image/png', buffer: image });
      await page.locator('body[data-state="done"]').waitFor();
      const labels = await page.locator('.marker').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-label')));
      assert.deepEqual([...labels].sort(), ['blue', 'green', 'red']);
      for (const [x, y] of await markerPositions(page, 200, 150)) {
        assert.ok(Math.abs(x - 50) <= 4 && Math.abs(y - 100) <= 4, `marker at (${x}, ${y})`);
      }
      await page.setInputFiles('#file', { name: 'bad.png', mimeType: 'image/png', buffer: Buffer.from('nope') });
      await page.locator('body[data-state="error"]').waitFor();
      assert.match(await page.locator('#status').innerText(), /^image: cannot be decoded/);
    } finally {
      await t.close();
    }
  });
});
