// Opens a report of `fruits report` (src/report/page/report.html, filled) in Debian's chromium
// (puppeteer-core), offline, and reads back what the page shows.
//
//   node report_page.mjs REPORT.html SCREENSHOT.png [PHONE_SCREENSHOT.png]
//
// Every request is intercepted: the report's own file:// URL and data: URLs go on, anything else
// is aborted and recorded. Waits for body[data-ready="1"], saves a full-page screenshot at
// 1280x900 (and one at a phone's 390x844), then reads the DOM and tries the interactive parts
// (sorting the per-label table, zooming the heatmap, hovering a scatter point). Prints one JSON
// object:
//   {external_requests, console_errors, page_errors, csp_violations,
//    sections: {run|failures|cost|pca|classifier: {present, svg_shapes}},
//    figures: {NAME: Number(data-value)}, figure_texts: {NAME: shown text},
//    figure_counts: {NAME: elements with that data-figure (1 each on a good page)},
//    failures: [{set, groups: [{stage, reason, count, paths}]}],
//    per_label: {rows, labels_in_dom_order, f1_sorted_ascending, f1_sorted_descending_after_click},
//    heatmap: {labels_x, labels_y, width, height, width_after_zoom_in, cells, label_font_px},
//    scatter: {points, tooltip_after_hover}, k_curve: {present, points},
//    k_curve.points: the k values plotted; scree: {present, k_marker_text},
//    confused: {pairs, thumbnails, thumbnails_loaded (how many have naturalWidth > 0)}}
// Exits 1 (with the reason on stderr) when the page never gets ready; otherwise 0: the C++ test
// decides from the JSON.
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {launchChromium} from './chromium.mjs';

const [reportPath, screenshotPath, phoneScreenshotPath] = process.argv.slice(2);
if (!screenshotPath) {
  console.error('usage: report_page.mjs REPORT.html SCREENSHOT.png [PHONE_SCREENSHOT.png]');
  process.exit(2);
}
// A bound on the wait for the page, so that a broken page fails the run instead of hanging it;
// readiness itself comes from the page's own flag (body[data-ready]), never from time.
const kWaitMs = 60000;
const reportUrl = pathToFileURL(path.resolve(reportPath)).href;
const kSections = ['run', 'failures', 'cost', 'pca', 'classifier'];

const chromium = await launchChromium();
const browser = chromium.browser;

const externalRequests = [];
const consoleErrors = [];
const pageErrors = [];
let phase = 'load';

try {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url === reportUrl || url.startsWith('data:')) {
      request.continue();
    } else {
      externalRequests.push(url);
      request.abort();
    }
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // CSP violations as the page itself sees them (Chromium also logs them as console errors).
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI || 'inline'}` +
                                  (event.sample ? ` (${event.sample})` : ''));
    });
  });

  await page.goto(reportUrl, {waitUntil: 'load', timeout: kWaitMs});
  phase = 'ready';
  await page.waitForSelector('body[data-ready="1"]', {timeout: kWaitMs});

  phase = 'screenshots';
  await page.screenshot({path: screenshotPath, fullPage: true});
  if (phoneScreenshotPath) {
    await page.setViewport({width: 390, height: 844, deviceScaleFactor: 2});
    await page.screenshot({path: phoneScreenshotPath, fullPage: true});
    await page.setViewport({width: 1280, height: 900});
  }

  phase = 'read';
  const shown = await page.evaluate(readPage, kSections);

  phase = 'per-label sort';
  const perLabel = shown.per_label;
  if (perLabel) {
    await page.click('#classifier .per-label th[data-key="f1"] button');
    perLabel.f1_sorted_descending_after_click = await page.evaluate(() => {
      const f1 = [...document.querySelectorAll('#classifier .per-label tbody tr')].map((tr) => Number(tr.dataset.f1));
      return f1.every((v, i) => i === 0 || f1[i - 1] >= v);
    });
  }

  phase = 'heatmap zoom';
  if (shown.heatmap) {
    await page.click('#zoom-in');
    shown.heatmap.width_after_zoom_in = await page.$eval('#classifier svg.heatmap',
                                                         (svg) => svg.getBoundingClientRect().width);
  }

  phase = 'scatter hover';
  if (shown.scatter) {
    // A pointer event on the first point itself (points may overlap, so no hit-testing by position).
    shown.scatter.tooltip_after_hover = await page.evaluate(() => {
      const point = document.querySelector('#pca circle.point');
      point.scrollIntoView({block: 'center'});
      const box = point.getBoundingClientRect();
      const at = {bubbles: true, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2};
      point.dispatchEvent(new MouseEvent('mouseover', at));
      point.dispatchEvent(new MouseEvent('mousemove', at));
      const tooltip = document.getElementById('tooltip');
      return tooltip.hidden ? null : tooltip.textContent;
    });
  }

  const cspViolations = await page.evaluate(() => window.__cspViolations);
  console.log(JSON.stringify({
    external_requests: externalRequests,
    console_errors: consoleErrors,
    page_errors: pageErrors,
    csp_violations: cspViolations,
    ...shown,
  }));
} catch (e) {
  console.error(`report_page.mjs failed while '${phase}': ${e.stack ?? e}`);
  console.error(JSON.stringify({external_requests: externalRequests, console_errors: consoleErrors,
                                page_errors: pageErrors}));
  process.exitCode = 1;
} finally {
  await chromium.close();
}

// Runs in the page: everything the test compares, read from the DOM as drawn.
function readPage(sectionIds) {
  const shapes = 'svg rect, svg circle, svg path, svg line, svg polyline';
  const sections = {};
  for (const id of sectionIds) {
    const section = document.getElementById(id);
    sections[id] = {present: section !== null && section.tagName === 'SECTION',
                    svg_shapes: section ? section.querySelectorAll(shapes).length : 0};
  }

  const figures = {};
  const figureTexts = {};
  const figureCounts = {};
  for (const el of document.querySelectorAll('[data-figure]')) {
    const name = el.dataset.figure;
    figureCounts[name] = (figureCounts[name] ?? 0) + 1;
    figures[name] = Number(el.dataset.value);
    figureTexts[name] = el.textContent;
  }

  const failures = [...document.querySelectorAll('#failures .failure-set')].map((set) => ({
    set: set.dataset.set,
    groups: [...set.querySelectorAll('tr.failure-group')].map((tr) => ({
      stage: tr.querySelector('.stage').textContent,
      reason: tr.querySelector('.reason').textContent,
      count: Number(tr.querySelector('.count').textContent.replace(/,/g, '')),
      paths: [...tr.querySelectorAll('ul.paths li')].map((li) => li.textContent),
    })),
  }));

  let perLabel = null;
  const rows = [...document.querySelectorAll('#classifier .per-label tbody tr')];
  if (rows.length) {
    const f1 = rows.map((tr) => Number(tr.dataset.f1));
    perLabel = {rows: rows.length, labels_in_dom_order: rows.map((tr) => tr.dataset.label),
                f1_sorted_ascending: f1.every((v, i) => i === 0 || f1[i - 1] <= v),
                f1_sorted_descending_after_click: null};
  }

  let heatmap = null;
  const heat = document.querySelector('#classifier svg.heatmap');
  if (heat) {
    const box = heat.getBoundingClientRect();
    const label = heat.querySelector('text.label-y');
    heatmap = {labels_x: heat.querySelectorAll('text.label-x').length,
               labels_y: heat.querySelectorAll('text.label-y').length,
               width: box.width, height: box.height, width_after_zoom_in: null,
               cells: heat.querySelectorAll('rect.cell').length,
               label_font_px: label ? Number(label.getAttribute('font-size')) * heat.getScreenCTM().a : null};
  }

  const points = document.querySelectorAll('#pca svg.scatter circle.point').length;
  const kCurve = document.querySelector('#classifier svg.k-curve');
  const scree = document.querySelector('#pca svg.scree');
  const marker = scree && scree.querySelector('text.k-marker');
  const thumbs = [...document.querySelectorAll('#classifier .pairs img')];
  return {
    sections, figures, figure_texts: figureTexts, figure_counts: figureCounts, failures,
    per_label: perLabel, heatmap,
    scatter: points ? {points, tooltip_after_hover: null} : null,
    k_curve: {present: kCurve !== null, points: kCurve ? kCurve.querySelectorAll('circle.k-point[data-series="validation"]').length : 0},
    scree: {present: scree !== null, k_marker_text: marker ? marker.textContent : null},
    confused: {pairs: document.querySelectorAll('#classifier .pairs .pair').length, thumbnails: thumbs.length,
               thumbnails_loaded: thumbs.filter((img) => img.complete && img.naturalWidth > 0).length},
  };
}
