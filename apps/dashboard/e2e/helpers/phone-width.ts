import type { Locator, Page } from 'playwright-core'

/** An ordinary phone in portrait (iPhone 12 to 15 CSS pixels). */
export const PHONE = { width: 390, height: 844 }

/**
 * How far the page is wider than the screen: the shell must fit, only inner regions (the keys
 * table) may scroll sideways inside themselves.
 */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.documentElement
    const shell = document.querySelector('.shell')
    return Math.max(
      root.scrollWidth - root.clientWidth,
      document.body.scrollWidth - root.clientWidth,
      shell ? shell.scrollWidth - shell.clientWidth : 0,
    )
  })
}

/** Whether the element lies within the phone's width. */
export async function fitsWidth(element: Locator): Promise<boolean> {
  const box = await element.boundingBox()
  return box !== null && box.x >= 0 && box.x + box.width <= PHONE.width
}
