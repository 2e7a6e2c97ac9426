// The harness the browser suites share: one Chromium per suite, each test's pages in fresh
// contexts, a watch on what goes wrong in a page (console errors and warnings, uncaught errors,
// failed requests, error responses), waiting for the page, and a screenshot of every page of a
// failed test in <repo>/target/browser-failure-<suite>-<test>-<page>.png.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** The server under test, from FRONTLINE_URL, without a trailing slash. */
export const BASE = (process.env.FRONTLINE_URL || '').replace(/\/+$/, '');
/** How long the page may take to react (fetch, stream, render) before a check fails. */
export const WAIT_MS = 15_000;

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(REPO, 'target');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser = null;

/** Starts the suite's Chromium (`$CHROMIUM`, else Debian's /usr/bin/chromium); call in `before`. */
export async function launchBrowser() {
  assert.ok(BASE, 'set FRONTLINE_URL to a running `frontline serve` (cargo test --test browser does)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Closes the suite's Chromium; call in `after`. */
export async function closeBrowser() {
  await browser?.close();
  browser = null;
}

function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 55);
}

/**
 * Collects console errors and warnings, page errors, failed requests and error responses of
 * `page`; `problems.all()` lists them. A GET the page cancels itself is not a failure: the page
 * aborts superseded fetches, and closing a context ends the change stream the same way.
 */
export function watch(page) {
  const problems = { console: [], pageErrors: [], requests: [], responses: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      const where = message.location();
      problems.console.push(`console ${message.type()}: ${message.text()} (${where.url}:${where.lineNumber})`);
    }
  });
  page.on('pageerror', (error) => problems.pageErrors.push(`page error: ${error.stack || error}`));
  page.on('requestfailed', (request) => {
    const cancelled = request.method() === 'GET' && request.failure()?.errorText === 'net::ERR_ABORTED';
    if (!cancelled) {
      problems.requests.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.responses.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
  });
  problems.all = () => [...problems.console, ...problems.pageErrors, ...problems.requests, ...problems.responses];
  return problems;
}

/**
 * A test of suite `suite` that runs `body(open, t)`, where `open({viewport})` makes a page in a
 * fresh browser context (so two pages share nothing, not even sessionStorage) and returns
 * `{page, problems}`. Uncaught page errors fail every test. On failure saves a screenshot of
 * every page and prints its problems.
 */
export function pagesTest(suite, name, body) {
  test(name, { timeout: 90_000 }, async (t) => {
    const prefix = `browser-failure-${suite}-${slug(name)}-`;
    // Screenshots from an earlier failure would mislead.
    const old = await readdir(SHOTS).catch(() => []);
    await Promise.all(
      old.filter((file) => file.startsWith(prefix) && file.endsWith('.png')).map((file) => rm(path.join(SHOTS, file), { force: true })),
    );
    const opened = [];
    const open = async ({ viewport = { width: 1280, height: 800 } } = {}) => {
      const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      const problems = watch(page);
      opened.push({ context, page, problems });
      return { page, problems };
    };
    try {
      await body(open, t);
      for (const { problems } of opened) assert.deepEqual(problems.pageErrors, [], 'uncaught errors in the page');
    } catch (error) {
      for (const [index, { page, problems }] of opened.entries()) {
        const file = path.join(SHOTS, `${prefix}${index + 1}.png`);
        try {
          await mkdir(SHOTS, { recursive: true });
          await page.screenshot({ path: file, fullPage: true });
          console.error(`screenshot of the failure: ${file}`);
        } catch (shotError) {
          console.error(`could not save a screenshot to ${file}: ${shotError.message}`);
        }
        if (problems.all().length) console.error(`page ${index + 1} problems:\n  ${problems.all().join('\n  ')}`);
      }
      throw error;
    } finally {
      for (const { context } of opened) await context.close();
    }
  });
}

/**
 * Waits until `predicate(arg)`, run in the page, returns something truthy, and returns it; on
 * timeout (`ms`) throws. It polls with `page.evaluate` because Playwright's `waitForFunction`
 * evaluates strings in the page, which the map's Content-Security-Policy (no `unsafe-eval`)
 * rightly forbids.
 */
export async function waitInPage(page, predicate, arg, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await page.evaluate(predicate, arg);
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting in the page for ${String(predicate).slice(0, 300)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until `read()` (run in the page with `arg`) returns `expected`; on timeout (`ms`) fails
 * with the last value seen.
 */
export async function until(page, what, read, arg, expected, ms = WAIT_MS) {
  const want = JSON.stringify(expected);
  await waitInPage(page, `JSON.stringify((${read})(${JSON.stringify(arg)})) === ${JSON.stringify(want)}`, undefined, ms).catch(
    (error) => {
      if (!/timed out/.test(error.message)) throw error;
    },
  );
  assert.deepEqual(await page.evaluate(read, arg), expected, what);
}
