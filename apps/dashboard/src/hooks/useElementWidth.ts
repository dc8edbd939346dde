import { type RefObject, useLayoutEffect, useState } from 'react'

/**
 * The element's width in CSS pixels, kept current with a ResizeObserver. Measured in a layout
 * effect, before the browser paints: with a passive effect the first frame showed what was drawn
 * at `fallback` width, wider than a phone's screen, until the effect ran.
 */
export function useElementWidth(ref: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback)
  useLayoutEffect(() => {
    const element = ref.current
    if (!element) return
    const measured = element.getBoundingClientRect().width
    if (measured > 0) setWidth(measured)
    if (typeof ResizeObserver === 'undefined') return
    const observer = new ResizeObserver(([entry]) => {
      const next = entry?.contentRect.width ?? 0
      if (next > 0) setWidth(Math.round(next))
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [ref])
  return width
}
