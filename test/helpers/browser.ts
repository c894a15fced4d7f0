/**
 * Opens a page in Debian's headless Chromium (driven by playwright-core, no browser download) with every network
 * request refused, collecting console errors, page errors and the requests that were tried.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface OfflinePage {
  browser: Browser;
  page: Page;
  /** Console messages of type error and uncaught page errors. */
  errors: string[];
  /** URLs the page tried to fetch that were neither data: nor file: (all refused). */
  blocked: string[];
}

export async function openOffline(file: string, viewport = { width: 1280, height: 900 }): Promise<OfflinePage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh does)`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const context = await browser.newContext({ viewport, offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    const blocked: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { browser, page, errors, blocked };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
