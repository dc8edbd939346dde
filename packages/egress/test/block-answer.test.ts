import { describe, expect, it } from 'vitest'
import { startService } from './helpers/harness.js'

const body = (text: string) => Buffer.from(text, 'utf8')

describe('isBlockAnswer', () => {
  it('with the default codes (50603): the code as a number or a digit string', async () => {
    const { service } = await startService()
    expect(service.isBlockAnswer(body('{"code":50603,"message":"IP blocked","data":null}'))).toBe(
      true,
    )
    expect(service.isBlockAnswer(body('{"code":"50603"}'))).toBe(true)
    expect(service.isBlockAnswer(body(' \n{"code":50603}\n'))).toBe(true)
  })

  it('anything else is not a block', async () => {
    const { service } = await startService()
    const others = [
      '{"code":50604,"message":"other"}',
      '{"code":20012,"message":"Model does not exist"}',
      '{"code":"50603x"}',
      '{"code":" 50603"}',
      '{"code":"5.0603e4"}',
      '{"code":50603.5}',
      '{"code":null}',
      '{"code":[50603]}',
      '{"data":{"code":50603}}',
      '{"message":"50603"}',
      '[50603]',
      '50603',
      '"50603"',
      'null',
      'true',
      'Service Unavailable',
      '<html>50603</html>',
      '{"code":50603',
      '',
    ]
    for (const text of others) expect(service.isBlockAnswer(body(text)), text).toBe(false)
    expect(service.isBlockAnswer(Buffer.alloc(0))).toBe(false)
    expect(service.isBlockAnswer(null)).toBe(false)
  })

  it('follows EGRESS_BLOCK_CODES', async () => {
    const { service } = await startService({ settings: { egressBlockCodes: [40301, 50603] } })
    expect(service.isBlockAnswer(body('{"code":40301}'))).toBe(true)
    expect(service.isBlockAnswer(body('{"code":"50603"}'))).toBe(true)
    expect(service.isBlockAnswer(body('{"code":40300}'))).toBe(false)
  })

  it('an empty code list: never a block', async () => {
    const { service } = await startService({ settings: { egressBlockCodes: [] } })
    expect(service.isBlockAnswer(body('{"code":50603}'))).toBe(false)
    expect(service.isBlockAnswer(body('{"code":"50603"}'))).toBe(false)
    expect(service.isBlockAnswer(body('{"code":0}'))).toBe(false)
  })
})
