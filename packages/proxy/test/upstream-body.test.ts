import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import type { BodySink } from '../src/upstream-body.js'
import { handDrivenBody } from './helpers/upstream-body.js'

function recorder() {
  const seen: string[] = []
  const sink: BodySink = {
    data: (chunk) => seen.push(chunk.toString()),
    end: () => seen.push('<end>'),
    error: (error) => seen.push(`<error ${error.message}>`),
  }
  return { seen, sink }
}

describe('UpstreamBody', () => {
  it('hands what came before its reader first, in order, then the rest', () => {
    const { body, seen: controller } = handDrivenBody()
    body.data(Buffer.from('a'))
    body.data(Buffer.from('b'))
    const { seen, sink } = recorder()
    body.pipeTo(sink)
    body.data(Buffer.from('c'))
    body.end()
    expect(seen).toEqual(['a', 'b', 'c', '<end>'])
    // A small answer read a moment late never stops its connection.
    expect(controller.pauses).toBe(0)
  })

  it('tells an end or a failure that came before its reader', () => {
    const ended = handDrivenBody()
    ended.body.data(Buffer.from('whole'))
    ended.body.end()
    const one = recorder()
    ended.body.pipeTo(one.sink)
    expect(one.seen).toEqual(['whole', '<end>'])

    const failed = handDrivenBody()
    failed.body.data(Buffer.from('half'))
    failed.body.fail(new Error('reset'))
    const two = recorder()
    failed.body.pipeTo(two.sink)
    expect(two.seen).toEqual(['half', '<error reset>'])
  })

  it('stops the connection past 64 KiB without a reader, and lets it go on when one comes', () => {
    const upstream = handDrivenBody()
    upstream.body.data(Buffer.alloc(40 * 1024))
    expect(upstream.paused()).toBe(false)
    upstream.body.data(Buffer.alloc(40 * 1024))
    expect(upstream.paused()).toBe(true)
    upstream.body.pipeTo(recorder().sink)
    expect(upstream.paused()).toBe(false)
  })

  it('keeps the connection stopped when its reader asks for a pause while taking the early chunks', () => {
    const upstream = handDrivenBody()
    upstream.body.data(Buffer.alloc(70 * 1024))
    upstream.body.pipeTo({ data: () => upstream.body.pause(), end: () => {}, error: () => {} })
    expect(upstream.paused()).toBe(true)
    upstream.body.resume()
    expect(upstream.paused()).toBe(false)
  })

  it('aborts the request when destroyed before its end, and not after', () => {
    const cut = handDrivenBody()
    const { seen, sink } = recorder()
    cut.body.pipeTo(sink)
    cut.body.data(Buffer.from('a'))
    cut.body.destroy()
    expect(cut.body.destroyed).toBe(true)
    expect(cut.seen.aborted?.message).toBe('The upstream answer was dropped')
    expect(seen).toEqual(['a', '<error The upstream answer was dropped>'])

    const whole = handDrivenBody()
    whole.body.pipeTo(recorder().sink)
    whole.body.end()
    whole.body.destroy()
    expect(whole.seen.aborted).toBeNull()
  })

  it('gives a body that came whole before any reader in one buffer, as its one reader', () => {
    const whole = handDrivenBody()
    whole.body.data(Buffer.from('{"a":'))
    whole.body.data(Buffer.from('1}'))
    expect(whole.body.takeArrived()).toBeNull()
    whole.body.end()
    expect(whole.body.takeArrived()?.toString()).toBe('{"a":1}')
    expect(() => whole.body.pipeTo(recorder().sink)).toThrow('one reader')

    const read = handDrivenBody()
    read.body.pipeTo(recorder().sink)
    read.body.end()
    expect(read.body.takeArrived()).toBeNull()
  })

  it('has one reader', () => {
    const { body } = handDrivenBody()
    body.pipeTo(recorder().sink)
    expect(() => body.pipeTo(recorder().sink)).toThrow('one reader')
  })

  it('reads as a Readable for the readers off the hot path', async () => {
    const upstream = handDrivenBody()
    const reading = text(upstream.body.toReadable())
    await upstream.feed(['one ', 'two'])
    expect(await reading).toBe('one two')
  })
})
