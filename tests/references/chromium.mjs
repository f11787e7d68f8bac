// Debian's chromium, headless, for the tests that drive our pages (serve_page.mjs,
// report_page.mjs): as root, without a GPU or a network, in a fresh profile folder.
//
//   const chromium = await launchChromium();
//   try { const page = await chromium.browser.newPage(); ... } finally { await chromium.close(); }
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export async function launchChromium() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fruits-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir,
    // Root, no GPU, no network: without these Chromium tries Google's hosts.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    browser,
    // Closes the browser and removes its profile folder.
    async close() {
      await browser.close();
      fs.rmSync(userDataDir, {recursive: true, force: true});
    },
  };
}
