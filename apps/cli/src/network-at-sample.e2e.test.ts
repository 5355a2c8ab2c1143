import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { launchChromium } from '@backprop/browser-test/chromium'
import { type Dashboard, type NetworkView, startDashboard } from '@backprop/dashboard'
import type { Browser } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { dashboardHooks } from './commands/dashboard.js'

/** Where the screenshot goes: the workspace's test-results folder, which git ignores and CI keeps. */
const screenshot = join(import.meta.dirname, '..', '..', '..', 'test-results', 'apps', 'cli', 'dashboard-network.png')

let dashboard: Dashboard | undefined
let browser: Browser | undefined
afterEach(async () => {
  await browser?.close()
  await dashboard?.close()
  browser = undefined
  dashboard = undefined
})

describe('the dashboard of backprop dashboard, in a browser', () => {
  it('draws a trained iris network at a chosen test sample with every node\'s value and adjoint', { timeout: 120_000 }, async () => {
    dashboard = await startDashboard({ port: 0, ...dashboardHooks })
    browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } })
    page.setDefaultTimeout(60_000)
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(dashboard.url)
    // Locators rather than page-side functions: this project's types know no DOM.
    await expect.poll(() => page.inputValue('#layers'), { timeout: 60_000 }).toBe('4,8,3')

    // A short run from the form, to its end.
    await page.fill('#epochs', '3')
    await page.click('#start')
    await page.locator('#state', { hasText: /^done$/ }).waitFor()

    await page.fill('#network-sample', '7')
    await page.click('#network-show')
    await page.waitForSelector('#network-view svg g.node')
    const served = (await (await fetch(new URL('/network?sample=7', dashboard.url))).json()) as NetworkView & { epoch: number }
    // One drawn vertex per node of the forward graph, each named node labelled, adjoints written on it.
    expect(await page.locator('#network-view svg g.node').count()).toBe(served.nodes.length)
    const text = (await page.textContent('#network-view svg')) ?? ''
    for (const name of ['x', 'W1', 'b1', 'a1', 'z1', 'W2', 'a2', 'y', 'E', '∂E/∂v =']) expect(text).toContain(name)
    expect(served.epoch).toBe(3)
    expect(await page.textContent('#network-caption')).toContain(`after epoch 3, test sample 7: E = ${served.loss.toPrecision(4)}`)
    await mkdir(join(screenshot, '..'), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: true })
    expect(problems).toEqual([])
  })
})
