import { createRoot } from 'react-dom/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LineChart } from '../../../src/components/charts/LineChart.js'
import { I18nProvider } from '../../../src/i18n/I18nProvider.js'

const BOX_WIDTH = 320

afterEach(() => {
  vi.restoreAllMocks()
  document.body.innerHTML = ''
})

describe('LineChart', () => {
  it('is drawn at its box width from the first frame, not at its fallback width', async () => {
    // happy-dom lays nothing out: the chart's box is 320 px wide, as on a phone.
    const rect = HTMLElement.prototype.getBoundingClientRect
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (
      this: HTMLElement,
    ) {
      return this.classList.contains('chart__box')
        ? ({ width: BOX_WIDTH, height: 160 } as DOMRect)
        : rect.call(this)
    })
    const container = document.createElement('div')
    document.body.append(container)
    // What a browser paints: the DOM once the render's task and its microtasks are done, before
    // React's passive effects, which run in a later task.
    const firstFrame = new Promise<string | null>((resolve) => {
      const observer = new MutationObserver(() => {
        const svg = container.querySelector('svg')
        if (svg === null) return
        observer.disconnect()
        resolve(svg.getAttribute('width'))
      })
      observer.observe(container, { childList: true, subtree: true, attributes: true })
    })
    // A root of its own, not test/helpers/render.tsx: Testing Library's render wraps it in act(),
    // which runs the passive effects too before returning, so the first frame would go unseen.
    const root = createRoot(container)
    root.render(
      <I18nProvider initialLanguage="zh">
        <LineChart
          title="请求数"
          summary="3 points"
          times={[0, 60_000, 120_000]}
          series={[{ name: '请求', values: [1, 2, 3], tone: 'primary' }]}
          formatValue={String}
          formatTime={String}
        />
      </I18nProvider>,
    )
    expect(await firstFrame).toBe(String(BOX_WIDTH))
    root.unmount()
  })
})
