/**
 * Makes docs/images/eval-report.png: the report of the realistic fixture (baseline, Rand and LUAB, three seeds
 * each, four suites) rendered and photographed in headless Chromium.
 * Run: `npx tsc -p . && node dist/test/eval/report-screenshot.js docs/images/eval-report.png [WORK_DIR]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { renderRunReports } from '../../eval/report/index.js';
import { openOffline } from '../helpers/browser.js';
import { writeRealisticRuns } from './report-fixture.js';

const [output, keep] = process.argv.slice(2);
if (!output) {
  console.error('usage: report-screenshot.js OUT.png [WORK_DIR]');
  process.exit(2);
}
const work = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'luab-report-shot-'));
try {
  const runs = await writeRealisticRuns(work);
  await renderRunReports(runs, join(work, 'report'), {
    title: 'LUAB evaluation: small CNN on the embedded benchmark (fixture)',
  });
  const { browser, page, errors } = await openOffline(join(work, 'report', 'report.html'), {
    width: 1280,
    height: 1700,
  });
  try {
    if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join('; ')}`);
    // A palette PNG: a third of the size of Chromium's, for a file committed to the repository.
    await sharp(await page.screenshot())
      .png({ palette: true, compressionLevel: 9 })
      .toFile(resolve(output));
  } finally {
    await browser.close();
  }
  console.log(`wrote ${resolve(output)} (report in ${join(work, 'report')})`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
