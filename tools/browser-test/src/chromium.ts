import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/**
 * Headless Chromium for the browser tests: Debian's `chromium` package, which
 * CI installs (the file `.ci/needs-chromium` asks for it), or the browser that
 * `CHROMIUM_PATH` names.
 */
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/**
 * Starts headless Chromium. A missing browser is a failure that says how to
 * install it, never a skipped test: CI installs it, so only a machine set up
 * without it gets here.
 */
export const launchChromium = async (): Promise<Browser> => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH; ` +
        'CI installs it because the file .ci/needs-chromium exists',
    )
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })
}
