import { useEffect, useState } from 'react'

/** A counter that goes up every `intervalMs`: a dependency that makes data reload periodically. */
export function useTick(intervalMs: number): number {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((value) => value + 1), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return tick
}
