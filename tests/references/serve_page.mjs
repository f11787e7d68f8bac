// Drives the web page of `fruits serve` in Debian's chromium (puppeteer-core), as a user would.
//
//   node serve_page.mjs URL IMAGE NOT_IMAGE SCREENSHOT [PHONE_SCREENSHOT]
//
// In one page session: picks IMAGE with "Choose a photo", then NOT_IMAGE (a file the server
// refuses: the page must show the server's error), then IMAGE with "Take a photo", then drops
// IMAGE on the drop zone (the page recovers). Every request the page makes is intercepted: one
// to another origin is aborted and recorded (data: and blob: URLs stay in the page). Saves a
// screenshot of the final page (and one at a phone's 390x844) and prints one JSON object:
//   {model_text, model_labels, camera_capture, classify_requests: [{method, content_type}],
//    results: [{top, percent_texts, probabilities, status}] (one per upload of IMAGE),
//    top, percent_texts, probabilities (the first upload's),
//    error: {visible, text, state, shown_results}, server_error (the server's own "error" for
//    NOT_IMAGE, asked directly from Node), server_model (GET /v1/model, from Node),
//    external_requests, console_errors,
//    expected_console_errors (the browser's own "Failed to load resource" line for the refused
//    upload, and nothing else, while NOT_IMAGE is up)}.
// Exits 1 (with the reason on stderr) when the page does not answer within the bound.
import fs from 'node:fs';
import path from 'node:path';
import {launchChromium} from './chromium.mjs';

const [url, imagePath, notImagePath, screenshotPath, phoneScreenshotPath] = process.argv.slice(2);
if (!screenshotPath) {
  console.error('usage: serve_page.mjs URL IMAGE NOT_IMAGE SCREENSHOT [PHONE_SCREENSHOT]');
  process.exit(2);
}
// A bound on each wait for the page, so that a broken page fails the run instead of hanging it;
// what the test decides comes from the page's own state (body[data-done]), never from time.
const kWaitMs = 60000;
const origin = new URL(url).origin;

const chromium = await launchChromium();
const browser = chromium.browser;

const externalRequests = [];
const classifyRequests = [];
const consoleErrors = [];
const expectedConsoleErrors = [];
let phase = 'load';

try {
  const page = await browser.newPage();
  await page.setViewport({width: 1100, height: 760});
  // No animated bars in the screenshots.
  await page.emulateMediaFeatures([{name: 'prefers-reduced-motion', value: 'reduce'}]);
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const requestUrl = request.url();
    if (requestUrl.startsWith('data:') || requestUrl.startsWith('blob:')) {
      request.continue();
      return;
    }
    if (new URL(requestUrl).origin !== origin) {
      externalRequests.push(requestUrl);
      request.abort();
      return;
    }
    if (new URL(requestUrl).pathname === '/v1/classify') {
      classifyRequests.push({method: request.method(),
                             content_type: request.headers()['content-type'] ?? ''});
    }
    request.continue();
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (phase === 'not-image' && /^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      expectedConsoleErrors.push(text);
    } else {
      consoleErrors.push(`${phase}: ${text}`);
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(`${phase}: page error: ${error.message}`));

  await page.goto(url, {waitUntil: 'load', timeout: kWaitMs});
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', {timeout: kWaitMs});
  const modelText = await page.$eval('#model', (el) => el.innerText);
  const modelLabels = await page.$eval('#model', (el) => el.dataset.labels ?? null);
  const cameraCapture = await page.$eval('#camera-input', (el) => el.getAttribute('capture'));

  let uploads = 0;
  // Waits until the page has finished its newest upload (the page counts them).
  async function settled() {
    uploads += 1;
    await page.waitForFunction((n) => document.body.dataset.done === String(n), {timeout: kWaitMs},
                               uploads);
  }
  async function upload(selector, file) {
    const input = await page.$(selector);
    await input.uploadFile(file);
    await settled();
  }
  async function shownResult() {
    return page.evaluate(() => ({
      top: [...document.querySelectorAll('#result [data-label]')].map(
          (li) => li.querySelector('.label').textContent),
      percent_texts: [...document.querySelectorAll('#result [data-label]')].map(
          (li) => li.querySelector('.percent').textContent),
      status: document.getElementById('status').innerText,
      state: document.body.dataset.state,
      error_visible: !document.getElementById('error').hidden,
    }));
  }
  function withProbabilities(shown) {
    return {...shown, probabilities: shown.percent_texts.map((t) => parseFloat(t) / 100)};
  }

  const results = [];
  phase = 'choose';
  await upload('#file-input', imagePath);
  results.push(withProbabilities(await shownResult()));

  phase = 'not-image';
  await upload('#file-input', notImagePath);
  const error = await page.evaluate(() => {
    const box = document.getElementById('error');
    return {visible: !box.hidden && box.getBoundingClientRect().height > 0,
            text: box.textContent, state: document.body.dataset.state,
            shown_results: document.querySelectorAll('#result [data-label]').length};
  });

  phase = 'camera';
  await upload('#camera-input', imagePath);
  results.push(withProbabilities(await shownResult()));

  phase = 'drop';
  const bytes = fs.readFileSync(imagePath).toString('base64');
  const type = {'.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png',
                '.webp': 'image/webp', '.bmp': 'image/bmp'}[path.extname(imagePath).toLowerCase()] ?? '';
  await page.evaluate((base64, name, fileType) => {
    const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], name, {type: fileType}));
    const zone = document.getElementById('drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
  }, bytes, path.basename(imagePath), type);
  await settled();
  results.push(withProbabilities(await shownResult()));

  phase = 'screenshots';
  await page.screenshot({path: screenshotPath, fullPage: true});
  if (phoneScreenshotPath) {
    await page.setViewport({width: 390, height: 844, deviceScaleFactor: 2});
    await page.screenshot({path: phoneScreenshotPath, fullPage: true});
  }

  // The server's own answer to the refused file, to compare with what the page showed.
  const form = new FormData();
  form.append('image', new Blob([fs.readFileSync(notImagePath)], {type: 'text/plain'}),
              path.basename(notImagePath));
  const response = await fetch(new URL('/v1/classify', url), {method: 'POST', body: form});
  const serverError = {status: response.status, ...(await response.json())};
  const serverModel = await (await fetch(new URL('/v1/model', url))).json();

  console.log(JSON.stringify({
    model_text: modelText,
    model_labels: modelLabels,
    camera_capture: cameraCapture,
    classify_requests: classifyRequests,
    results,
    top: results[0].top,
    percent_texts: results[0].percent_texts,
    probabilities: results[0].probabilities,
    error,
    server_error: serverError,
    server_model: serverModel,
    external_requests: externalRequests,
    console_errors: consoleErrors,
    expected_console_errors: expectedConsoleErrors,
  }));
} catch (e) {
  console.error(`serve_page.mjs failed while '${phase}': ${e.stack ?? e}`);
  console.error(JSON.stringify({external_requests: externalRequests, console_errors: consoleErrors}));
  process.exitCode = 1;
} finally {
  await chromium.close();
}
